/**
 * `policy:review`: the pack's verdict on a stack without any cloud account.
 * The program runs under mocks with the stack file's config (secrets replaced
 * by stand-ins: their values are never needed to judge a resource's shape),
 * and every registered resource goes through the pack's policy functions.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  CONFIG_NAMESPACE,
  loadStackConfig,
  parseStackConfig,
  requiredSecrets,
  type RawStackConfig,
} from "../../infra/config/index";
import { readStackFileValues } from "../../infra/config/stack-file";
import { deployStack } from "../../infra/stack";
import { evaluatePolicies, type PackConfig, type ReviewResource, type Violation } from "./evaluate";
import { recordProgram } from "./mock-program";

export interface ReviewInput {
  stack: string;
  /** A file to read instead of `stacks/Pulumi.<stack>.yaml` (a fixture, a --config-file copy). */
  configFile?: string;
  /** Per-policy settings (a `--policy-pack-config` file's content). */
  packConfig?: PackConfig;
  project?: string;
}

export interface ReviewResult {
  stack: string;
  stackFile: string;
  resources: ReviewResource[];
  violations: Violation[];
}

/**
 * A stand-in for a secret's value, shaped like the real one where the
 * program checks the shape (webhooks are https URLs, connection strings are
 * postgres URLs), and marked secret like the real one.
 */
export function standInSecret(key: string): string {
  if (/webhook/i.test(key)) return `https://hooks.invalid/policy-review/${key}`;
  if (/url/i.test(key)) return `postgres://policy-review@db.invalid:5432/${key}`;
  return `policy-review-stand-in-for-${key}`;
}

export async function reviewStack(input: ReviewInput): Promise<ReviewResult> {
  const { context, values: fileConfig } = readStackFileValues({
    stack: input.stack,
    configFile: input.configFile,
  });
  const prefix = `${CONFIG_NAMESPACE}:`;
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fileConfig))
    if (k.startsWith(prefix)) raw[k.slice(prefix.length)] = v;
  if (raw.aws === undefined && typeof fileConfig["aws:region"] === "string")
    raw.aws = { region: fileConfig["aws:region"] };
  const parsed = parseStackConfig(raw as RawStackConfig, context);

  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [k, v] of Object.entries(fileConfig)) {
    // Encrypted values (`secure:`) are never decrypted here; stand-ins replace them below.
    if (v && typeof v === "object" && "secure" in v) continue;
    config[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  for (const r of requiredSecrets(parsed)) {
    config[`${prefix}${r.key}`] = standInSecret(r.key);
    secretKeys.push(`${prefix}${r.key}`);
  }
  const resources = await recordProgram(
    { project: input.project ?? "runbooks", stack: input.stack, config, secretKeys },
    () => {
      const loaded = loadStackConfig();
      // The rotation area hands its current values to Vercel and GitHub; stand-ins here.
      const rotated = Object.fromEntries(
        loaded.rotation.credentials.map((c) => [
          c.name,
          pulumi.secret(standInSecret(`rotated-${c.name}`)),
        ]),
      );
      return deployStack(loaded, { rotated });
    },
  );
  const violations = await evaluatePolicies(resources, { config: input.packConfig });
  return { stack: input.stack, stackFile: context.stackFile, resources, violations };
}
