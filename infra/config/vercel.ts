/** `runbooks:vercel`: the Vercel project, its git link and its environment variables. */
import { z } from "zod";
import { duplicates } from "../lib/unique";
import { parseWith, type ConfigContext } from "./errors";
import type { Features } from "./features";
import {
  isSecretLookingName,
  secretLookingValue,
  secretRef,
  type SecretRequirement,
} from "./shared";

const vercelEnvTarget = z.enum(["production", "preview", "development"]);

export const vercelEnvVarSchema = z
  .object({
    /** Variable name as the app reads it, e.g. `NEXT_PUBLIC_SUPABASE_URL`. */
    key: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a valid environment variable name"),
    /** Deployment targets that receive the variable. */
    targets: z.array(vercelEnvTarget).min(1, "needs at least one target"),
    /** Restrict a preview variable to one git branch. */
    gitBranch: z.string().min(1).optional(),
    /** A plain, non-secret value. */
    value: z.string().optional(),
    /** The config key holding the secret value (stored with `pulumi config set --secret`). */
    secretRef: secretRef.optional(),
    /** The name of a rotated credential (see `rotation.credentials`) whose current value is used. */
    rotationRef: z.string().min(1).optional(),
    /** Human comment shown in the Vercel dashboard. */
    comment: z.string().max(500).optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const sources = [v.value !== undefined, v.secretRef !== undefined, v.rotationRef !== undefined];
    if (sources.filter(Boolean).length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: "set exactly one of value, secretRef or rotationRef",
      });
    }
    // Both messages name the kind of value, never the value.
    const looksLike = v.value === undefined ? undefined : secretLookingValue(v.value);
    if (v.value !== undefined && isSecretLookingName(v.key)) {
      ctx.addIssue({
        code: "custom",
        path: ["value"],
        message: `'${v.key}' looks like a secret but is given as a plain value; store it with 'pulumi config set --secret <name>' and reference it with secretRef`,
      });
    } else if (looksLike !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["value"],
        message: `the value of ${v.key} looks like ${looksLike}, and a plain value is stored unencrypted in the stack file and in Vercel; store it with 'pulumi config set --secret <name>', reference it with secretRef, and rotate it (it is in your git history)`,
      });
    }
    if (v.gitBranch !== undefined && !(v.targets.length === 1 && v.targets[0] === "preview")) {
      ctx.addIssue({
        code: "custom",
        path: ["gitBranch"],
        message: "gitBranch is only allowed when targets is exactly ['preview']",
      });
    }
  });

export const vercelSchema = z
  .object({
    /** Vercel project name (lower-case, also used in URLs). */
    projectName: z
      .string()
      .regex(
        /^[a-z0-9]([a-z0-9._-]{0,98}[a-z0-9])?$/,
        "must be lower-case letters, digits, '.', '_' or '-' (max 100)",
      ),
    /** Vercel team id (`team_…`); omit for a personal account. */
    teamId: z
      .string()
      .regex(/^team_[A-Za-z0-9]+$/, "must look like team_xxxxxxxx")
      .optional(),
    /** Framework preset, e.g. `nextjs`. */
    framework: z.string().default("nextjs"),
    /** Directory of the app inside the repository. */
    rootDirectory: z.string().optional(),
    /** The Git repository Vercel deploys from (`owner/name`). */
    gitRepository: z
      .object({
        type: z.enum(["github", "gitlab", "bitbucket"]).default("github"),
        repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "must be 'owner/name'"),
        productionBranch: z.string().default("main"),
      })
      .strict(),
    /** Who may open preview deployments: standard protection, every deployment, or none. */
    previewProtection: z
      .enum(["standard_protection", "all_deployments", "none"])
      .default("standard_protection"),
    /** Environment variables per target. */
    env: z.array(vercelEnvVarSchema).default([]),
  })
  .strict()
  .superRefine((v, ctx) => {
    const same = (e: VercelEnvVarConfig) =>
      `${e.key}|${[...e.targets].sort().join(",")}|${e.gitBranch ?? ""}`;
    for (const d of duplicates(v.env, same)) {
      ctx.addIssue({
        code: "custom",
        path: ["env", d.index, "key"],
        message: `duplicate variable ${v.env[d.index]!.key} for the same targets (first at env[${d.firstIndex}])`,
      });
    }
  });

export type VercelConfig = z.infer<typeof vercelSchema>;
export type VercelEnvVarConfig = z.infer<typeof vercelEnvVarSchema>;

/** Validate `runbooks:vercel` alone. Throws `ConfigError`. */
export function parseVercel(raw: unknown, context: ConfigContext): VercelConfig {
  return parseWith(vercelSchema, raw, context, ["vercel"]);
}

/** The secrets the Vercel variables read, when the area is on. */
export function vercelSecrets(config: {
  features: Features;
  vercel?: VercelConfig;
}): SecretRequirement[] {
  if (!config.features.vercel) return [];
  return (config.vercel?.env ?? []).flatMap((e) =>
    e.secretRef ? [{ key: e.secretRef, usedBy: `vercel.env ${e.key}`, example: "<value>" }] : [],
  );
}
