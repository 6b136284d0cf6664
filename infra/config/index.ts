/**
 * The one typed, validated stack configuration.
 *
 * Each area's schema lives in its own module (`vercel.ts`, `database.ts`, …);
 * this one joins them under the `runbooks:` namespace and adds the rules that
 * span areas (a feature needs its settings, a `rotationRef` names a declared
 * credential, backup storage needs GitHub). Parsing is pure, so every rule is
 * unit-tested without Pulumi; `load.ts` is the thin glue that reads the keys
 * from the engine, and `stack-file.ts` the reader for commands.
 *
 * Conventions:
 * - Structured settings live under the `runbooks:` namespace, one key per area.
 * - A secret is never inlined in a structured value. Structured values name it
 *   with `secretRef: "<configKey>"`, and the value lives in its own secret key
 *   (`pulumi config set --secret <configKey> …`).
 */
import { z } from "zod";
import {
  alertsSchema,
  alertsSecrets,
  DEFAULT_ESCALATION,
  SEVERITIES,
  type AlertsConfig,
} from "./alerts";
import { awsSchema } from "./aws";
import { backupSchema, backupSecrets } from "./backup";
import { budgetsSchema } from "./budgets";
import { databaseSchema, databaseSecrets } from "./database";
import {
  CONFIG_NAMESPACE,
  ConfigError,
  fileToEdit,
  parseWith,
  secretSetCommand,
  unknownKeyProblem,
  type ConfigContext,
  type ConfigProblem,
} from "./errors";
import { featuresSchema } from "./features";
import { githubSchema, githubSecrets } from "./github";
import { rlsSchema } from "./rls";
import { rotationRefProblem, rotationSchema, rotationSecrets } from "./rotation";
import type { SecretRequirement } from "./shared";
import { vercelSchema, vercelSecrets } from "./vercel";

/** The settings of a stack, as read from the `runbooks:` namespace. */
export const stackConfigSchema = z
  .object({
    owner: z.string().min(1, "must name the owning team or person"),
    features: featuresSchema.default(featuresSchema.parse({})),
    aws: awsSchema.optional(),
    vercel: vercelSchema.optional(),
    github: githubSchema.optional(),
    database: databaseSchema.default(databaseSchema.parse({})),
    rls: rlsSchema.default({ tables: [] }),
    backup: backupSchema.default(backupSchema.parse({})),
    alerts: alertsSchema.optional(),
    budgets: budgetsSchema,
    rotation: rotationSchema.default(rotationSchema.parse({})),
  })
  .strict()
  .superRefine((c, ctx) => {
    const needs = (flag: keyof typeof c.features, key: "vercel" | "github" | "alerts" | "aws") => {
      if (c.features[flag] && c[key] === undefined) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `required because features.${flag} is on (set it, or turn the feature off)`,
        });
      }
    };
    needs("vercel", "vercel");
    needs("github", "github");
    needs("alerts", "alerts");
    needs("alerts", "aws");
    needs("backupStorage", "aws");
    if (c.features.backupStorage && c.backup.bucket.mode !== "skip" && !c.features.github) {
      ctx.addIssue({
        code: "custom",
        path: ["features", "github"],
        message:
          "backupStorage creates a GitHub OIDC role and needs github settings; turn github on or set backup.bucket.mode to skip",
      });
    }
    const checkRef = (ref: string | undefined, path: (string | number)[]) => {
      const problem = ref === undefined ? undefined : rotationRefProblem(c.rotation, ref);
      if (problem !== undefined) ctx.addIssue({ code: "custom", path, message: problem });
    };
    c.vercel?.env.forEach((e, i) => checkRef(e.rotationRef, ["vercel", "env", i, "rotationRef"]));
    c.github?.secrets.forEach((s, i) =>
      checkRef(s.rotationRef, ["github", "secrets", i, "rotationRef"]),
    );
    if (c.features.rotation && c.rotation.delivery === "api") {
      for (const area of ["vercel", "github"] as const) {
        if (c.features[area])
          ctx.addIssue({
            code: "custom",
            path: ["rotation", "delivery"],
            message: `delivery 'api' writes ${area} values itself, but features.${area} is on and its component writes them too; use delivery 'components', or turn features.${area} off`,
          });
      }
    }
  });

export type StackConfig = z.infer<typeof stackConfigSchema>;

/** The top-level keys, in the order they appear in the stack files. */
export const CONFIG_KEYS = [
  "owner",
  "features",
  "aws",
  "vercel",
  "github",
  "database",
  "rls",
  "backup",
  "alerts",
  "budgets",
  "rotation",
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

function isConfigKey(key: string): key is ConfigKey {
  return (CONFIG_KEYS as readonly string[]).includes(key);
}

/** A raw value per top-level key as read from the stack (objects already parsed). */
export type RawStackConfig = Partial<Record<ConfigKey, unknown>>;

/** Validate the raw keys. Throws `ConfigError` listing every problem at once. */
export function parseStackConfig(raw: RawStackConfig, context: ConfigContext): StackConfig {
  const present = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  return parseWith(stackConfigSchema, present, context);
}

/** Every secret config key the validated configuration needs, de-duplicated, first use kept. */
export function requiredSecrets(config: StackConfig): SecretRequirement[] {
  const out = new Map<string, SecretRequirement>();
  const areas = [
    databaseSecrets,
    backupSecrets,
    vercelSecrets,
    githubSecrets,
    rotationSecrets,
    alertsSecrets,
  ];
  for (const r of areas.flatMap((secretsOf) => secretsOf(config))) {
    if (!out.has(r.key)) out.set(r.key, r);
  }
  return [...out.values()];
}

/** What the secret lookup found for one key. */
export type SecretLookup = { state: "missing" } | { state: "plaintext" } | { state: "secret" };

function secretProblems(
  requirements: SecretRequirement[],
  lookup: (key: string) => SecretLookup,
  context: ConfigContext,
  options: { missingIsProblem: boolean },
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const r of requirements) {
    const found = lookup(r.key);
    const command = secretSetCommand(context, r.key, r.example);
    if (found.state === "missing" && options.missingIsProblem) {
      problems.push({
        key: `${CONFIG_NAMESPACE}:${r.key}`,
        message: `secret is required by ${r.usedBy} but not set`,
        fix: command,
      });
    } else if (found.state === "plaintext") {
      problems.push({
        key: `${CONFIG_NAMESPACE}:${r.key}`,
        message: `is stored in plain text in ${context.stackFile}; it must be a secret (required by ${r.usedBy})`,
        fix: `${command}   (then rotate the value: the plaintext is in your git history)`,
      });
    }
  }
  return problems;
}

/**
 * Check every required secret is present and stored encrypted. Plaintext is
 * refused rather than silently wrapped: it would already be sitting in the
 * stack file and in git history.
 */
export function checkSecrets(
  requirements: SecretRequirement[],
  lookup: (key: string) => SecretLookup,
  context: ConfigContext,
): void {
  const problems = secretProblems(requirements, lookup, context, { missingIsProblem: true });
  if (problems.length > 0) throw new ConfigError(context, problems);
}

/** Escalation rows for outputs and the README, most urgent first. */
export function escalationTable(alerts: Pick<AlertsConfig, "escalation"> | undefined) {
  const table = alerts?.escalation ?? DEFAULT_ESCALATION;
  return SEVERITIES.map((severity) => ({ severity, ...table[severity]! }));
}

/** A stack's `runbooks:` keys as a reader found them (names without the namespace). */
export interface StackValues {
  /** Keys stored in plain text, with their values (top-level objects parsed). */
  plain: Record<string, unknown>;
  /** Keys stored encrypted; their values are not needed to validate. */
  secret: readonly string[];
  /** `aws:region`, the AWS provider's own key, which stands in for an absent `runbooks:aws`. */
  awsRegion?: string;
}

/**
 * Validate a whole stack: the settings, then the keys around them. A key that
 * is neither a setting nor a secret some setting names is a typo or a leftover,
 * and a secret a setting names must be stored encrypted. With `requireSecrets`
 * (the program), a named secret must also be set; commands never need one.
 */
export function validateStack(
  values: StackValues,
  context: ConfigContext,
  options: { requireSecrets: boolean },
): { config: StackConfig; requirements: SecretRequirement[] } {
  const encryptedSettings = values.secret.filter(isConfigKey);
  if (encryptedSettings.length > 0) {
    throw new ConfigError(
      context,
      encryptedSettings.map((key) => ({
        key: `${CONFIG_NAMESPACE}:${key}`,
        message:
          "is stored encrypted, but it is a setting, not a secret (commands could not read it); secrets go in their own keys, named by secretRef",
        fix: `store it in plain text in ${fileToEdit(context)} (without --secret), keeping any secret value in its own key`,
      })),
    );
  }
  const raw: RawStackConfig = {};
  for (const key of CONFIG_KEYS) raw[key] = values.plain[key];
  if (raw.aws === undefined && values.awsRegion !== undefined)
    raw.aws = { region: values.awsRegion };
  const config = parseStackConfig(raw, context);
  const requirements = requiredSecrets(config);

  const secretKeys = new Set(values.secret);
  const required = new Set(requirements.map((r) => r.key));
  const candidates = [...CONFIG_KEYS, ...required];
  const problems = Object.keys(values.plain)
    .filter((key) => !isConfigKey(key) && !required.has(key))
    .map((key) => unknownKeyProblem(context, [], key, candidates));
  problems.push(
    ...secretProblems(
      requirements,
      (key) =>
        key in values.plain
          ? { state: "plaintext" }
          : secretKeys.has(key)
            ? { state: "secret" }
            : { state: "missing" },
      context,
      { missingIsProblem: options.requireSecrets },
    ),
  );
  if (problems.length > 0) throw new ConfigError(context, problems);
  return { config, requirements };
}

export * from "./alerts";
export * from "./aws";
export * from "./backup";
export * from "./budgets";
export * from "./database";
export * from "./errors";
export * from "./features";
export * from "./github";
export * from "./rls";
export * from "./rotation";
export * from "./shared";
export * from "./vercel";
export { loadStackConfig, type LoadedStackConfig } from "./load";
