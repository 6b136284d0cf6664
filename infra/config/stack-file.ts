/**
 * The one way a command reads a stack's configuration: the stack file's
 * `runbooks:*` keys, validated by the same schema `pulumi up` uses, so a
 * mistake reads the same (key, stack file, fix) whichever tool found it.
 *
 * Secrets stay encrypted and unread: a command gets credentials from its own
 * flags or environment, never by decrypting the stack file.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../lib/paths";
import {
  CONFIG_NAMESPACE,
  ConfigError,
  displayPath,
  stackFileFor,
  validateStack,
  type ConfigContext,
  type StackConfig,
} from "./index";

export interface StackFileOptions {
  /** Stack name, e.g. `staging`. */
  stack: string;
  /**
   * The file to read instead of `stacks/Pulumi.<stack>.yaml` (what `pulumi
   * --config-file` was given); errors then name this file.
   */
  configFile?: string;
  /** Repository root; tests point it elsewhere. */
  root?: string;
}

export interface StackFileConfig {
  context: ConfigContext;
  /** Validated settings (plain keys only). */
  config: StackConfig;
  /** `runbooks:` keys stored encrypted in the file (names only; values are never read). */
  secretKeys: string[];
}

/** Stack names that have a stack file, sorted. */
export function knownStacks(root: string = REPO_ROOT): string[] {
  const dir = join(root, "stacks");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/**
 * A stack file's `config:` map as written (encrypted values stay `{secure}`
 * objects), for tools that copy a stack's settings rather than validate them.
 * Throws `ConfigError` for a bad stack name, a missing file or broken YAML.
 */
export function readStackFileValues(options: StackFileOptions): {
  context: ConfigContext;
  values: Record<string, unknown>;
} {
  const root = options.root ?? REPO_ROOT;
  const { stack } = options;
  const path = options.configFile ?? join(root, stackFileFor(stack));
  const shown = displayPath(path, root);
  const context: ConfigContext = {
    stack,
    stackFile: shown,
    ...(options.configFile ? { configFile: options.configFile } : {}),
  };
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
    throw new ConfigError(context, [
      {
        key: "stack",
        message: `'${stack}' is not a stack name (letters, digits, '_', '-', '.')`,
        fix: `pass one of: ${knownStacks(root).join(", ") || "(no stack files in stacks/)"}`,
      },
    ]);
  }
  if (!existsSync(path)) {
    const known = knownStacks(root);
    throw new ConfigError(context, [
      {
        key: "stack",
        message: `no stack '${stack}': ${shown} does not exist`,
        fix: known.length
          ? `pass one of the stacks in stacks/: ${known.join(", ")} (or create it: pulumi stack init ${stack})`
          : `create it: pulumi stack init ${stack}`,
      },
    ]);
  }
  const YAML = require("yaml") as typeof import("yaml");
  let doc: { config?: Record<string, unknown> } | null;
  try {
    doc = YAML.parse(readFileSync(path, "utf8")) as typeof doc;
  } catch (err) {
    throw new ConfigError(context, [
      {
        key: "(file)",
        message: `is not valid YAML (${(err as Error).message.split("\n")[0]})`,
        fix: `fix the YAML syntax in ${shown}`,
      },
    ]);
  }
  return { context, values: doc?.config ?? {} };
}

/** Read and validate a stack's settings. Throws `ConfigError` naming the file. */
export function readStackConfig(options: StackFileOptions): StackFileConfig {
  const { context, values } = readStackFileValues(options);
  const plain: Record<string, unknown> = {};
  const secretKeys: string[] = [];
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const [key, value] of Object.entries(values)) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    if (value && typeof value === "object" && "secure" in (value as object)) {
      secretKeys.push(name);
      continue;
    }
    // The engine hands a program top-level scalars as text; read them the same way.
    plain[name] = typeof value === "number" || typeof value === "boolean" ? String(value) : value;
  }
  const region = values["aws:region"];
  const { config } = validateStack(
    {
      plain,
      secret: secretKeys,
      ...(typeof region === "string" ? { awsRegion: region } : {}),
    },
    context,
    // Secrets are set at deploy time (the local stack's by `npm run local`); a command never needs one.
    { requireSecrets: false },
  );
  return { context, config, secretKeys: secretKeys.sort() };
}
