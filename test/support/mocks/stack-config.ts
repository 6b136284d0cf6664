/**
 * Loads a real stack file (stacks/Pulumi.<stack>.yaml) as Pulumi config, with
 * a distinctive fake value for every secret it requires, marked secret the
 * way `pulumi config set --secret` would.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  CONFIG_NAMESPACE,
  parseStackConfig,
  requiredSecrets,
  type RawStackConfig,
} from "../../../infra/config/index";
import { readStackFileValues } from "../../../infra/config/stack-file";

/** The `config:` map of a stack file. */
export function stackFileConfig(stack: string): Record<string, unknown> {
  return readStackFileValues({ stack }).values;
}

/** The raw `runbooks:` keys of a stack file, as `parseStackConfig` takes them. */
export function rawStackConfig(stack: string): RawStackConfig {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(stackFileConfig(stack))) {
    if (k.startsWith(prefix)) raw[k.slice(prefix.length)] = v;
  }
  // As loadStackConfig does: the AWS provider's own region key stands in for runbooks:aws.
  const region = stackFileConfig(stack)["aws:region"];
  if (raw.aws === undefined && typeof region === "string") raw.aws = { region };
  return raw as RawStackConfig;
}

/** A value no real configuration contains, so finding it anywhere is a leak. */
export function fakeSecretValue(key: string): string {
  const marker = `FAKE-${key}-s3cr3t-9d41c7`;
  if (/url/i.test(key) && !/webhook/i.test(key))
    return `postgres://postgres:${marker}@db.fake.supabase.co:5432/postgres`;
  if (/webhook/i.test(key)) return `https://hooks.fake.example/${marker}`;
  return marker;
}

export interface StackConfigSet {
  /** Secret config key → fake plaintext. */
  secrets: Record<string, string>;
}

/** Put a stack file's config (plus fake secrets) into the Pulumi runtime. */
export function setStackConfig(
  stack: string,
  change?: (config: Record<string, unknown>) => void,
): StackConfigSet {
  const fileConfig = stackFileConfig(stack);
  change?.(fileConfig);
  const parsed = parseStackConfig(rawStackConfig(stack), readStackFileValues({ stack }).context);
  const secrets: Record<string, string> = {};
  for (const r of requiredSecrets(parsed)) secrets[r.key] = fakeSecretValue(r.key);

  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(fileConfig))
    config[k] = typeof v === "string" ? v : JSON.stringify(v);
  const secretKeys: string[] = [];
  for (const [k, v] of Object.entries(secrets)) {
    config[`${CONFIG_NAMESPACE}:${k}`] = v;
    secretKeys.push(`${CONFIG_NAMESPACE}:${k}`);
  }
  pulumi.runtime.setAllConfig(config, secretKeys);
  return { secrets };
}
