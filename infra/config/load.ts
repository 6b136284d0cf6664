/**
 * The Pulumi glue: read the stack's `runbooks:` keys from the engine, validate
 * them (`validateStack`), and hand each required secret on as a Pulumi secret.
 *
 * The engine passes a program its config as two environment variables the SDK
 * reads: `PULUMI_CONFIG` (every key, secrets decrypted) and
 * `PULUMI_CONFIG_SECRET_KEYS` (which keys were stored encrypted). It does not
 * pass which file the values came from; `runContext` works that out.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, validateStack, type StackConfig, type StackValues } from "./index";
import {
  CONFIG_NAMESPACE,
  ConfigError,
  fileToEdit,
  runContext,
  type ConfigContext,
} from "./errors";

/** The validated configuration plus its secrets, each a Pulumi secret output. */
export interface LoadedStackConfig extends StackConfig {
  stack: string;
  project: string;
  /**
   * Which stack file was read, for errors raised after loading (optional so
   * hand-built configs in tests need not invent one; `loadStackConfig` sets it).
   */
  context?: ConfigContext;
  /** Secret values by config key; only keys that `requiredSecrets` named. */
  secrets: Record<string, pulumi.Output<string>>;
  /** Look up a secret by key, failing with the fix if it was not required. */
  secret(key: string): pulumi.Output<string>;
}

/**
 * Was `fullKey` (`runbooks:databaseUrl`) stored encrypted? The SDK answers
 * with `runtime.isConfigSecret`, which is not in its typings at this version;
 * without it, the list the language host passed in the environment does.
 */
export function isStoredAsSecret(
  fullKey: string,
  runtime: unknown = pulumi.runtime,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  const isConfigSecret = (runtime as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
  if (typeof isConfigSecret === "function") return isConfigSecret(fullKey);
  try {
    const keys = JSON.parse(env.PULUMI_CONFIG_SECRET_KEYS || "[]") as unknown;
    return Array.isArray(keys) && keys.includes(fullKey);
  } catch {
    // An unreadable list marks nothing secret, so every required secret is refused as plaintext.
    return false;
  }
}

/** A top-level value as the engine passes it: objects and lists as JSON, scalars as text. */
function topLevelValue(value: string): unknown {
  if (!/^\s*[[{]/.test(value)) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** The namespace's keys as the engine passed them; secret values are never copied out. */
function stackValues(): StackValues {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const values: { plain: Record<string, unknown>; secret: string[]; awsRegion?: string } = {
    plain: {},
    secret: [],
  };
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (fullKey === "aws:region") values.awsRegion = value;
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    if (isStoredAsSecret(fullKey)) values.secret.push(key);
    else
      values.plain[key] =
        (CONFIG_KEYS as readonly string[]).includes(key) && key !== "owner"
          ? topLevelValue(value)
          : value;
  }
  return values;
}

/** Read, validate and resolve the stack configuration. Call once, from `infra/index.ts`. */
export function loadStackConfig(): LoadedStackConfig {
  const stack = pulumi.getStack();
  const project = pulumi.getProject();
  const context = runContext(stack, { root: pulumi.runtime.getRootDirectory() || undefined });
  const { config: parsed, requirements } = validateStack(stackValues(), context, {
    requireSecrets: true,
  });
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  const secrets: Record<string, pulumi.Output<string>> = {};
  for (const r of requirements) secrets[r.key] = config.requireSecret(r.key);
  return {
    ...parsed,
    stack,
    project,
    context,
    secrets,
    secret(key: string) {
      const value = secrets[key];
      if (value === undefined) {
        throw new ConfigError(context, [
          {
            key: `${CONFIG_NAMESPACE}:${key}`,
            message: "secret was not declared by any setting that needs it",
            fix: `reference it from a secretRef in ${fileToEdit(context)}`,
          },
        ]);
      }
      return value;
    },
  };
}
