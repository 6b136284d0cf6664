/**
 * The one typed, validated stack configuration.
 *
 * Everything the program declares is driven from here. The parsing is pure
 * (`parseStackConfig`) so every rule is unit-tested without Pulumi; the thin
 * `loadStackConfig` glue reads the keys from `pulumi.Config` and resolves
 * secret references through `requireSecret`-equivalent reads that refuse
 * plaintext.
 *
 * Conventions:
 * - Structured settings live under the `runbooks:` namespace, one key per area.
 * - A secret is never inlined in a structured value. Structured values name it
 *   with `secretRef: "<configKey>"`, and the value lives in its own secret key
 *   (`pulumi config set --secret <configKey> …`).
 */
import type * as Pulumi from "@pulumi/pulumi";
import { z } from "zod";

export const CONFIG_NAMESPACE = "runbooks";

export const SEVERITIES = ["P0", "P1", "P2", "P3"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The runbook's escalation table, used when a stack does not override it. */
export const DEFAULT_ESCALATION: Record<
  Severity,
  { respondWithinMinutes: number; meaning: string }
> = {
  P0: { respondWithinMinutes: 0, meaning: "Site down or data at risk: respond immediately." },
  P1: { respondWithinMinutes: 60, meaning: "Major feature broken: respond within 1 hour." },
  P2: { respondWithinMinutes: 240, meaning: "Degraded or partial outage: respond within 4 hours." },
  P3: { respondWithinMinutes: 1440, meaning: "Minor issue: respond within 24 hours." },
};

const SECRET_LOOKING_NAME =
  /(SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|API_?KEY|SERVICE_ROLE|DATABASE_URL|DSN|CREDENTIAL)/i;

// ---------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------

/** A config key name in this project's namespace that holds a secret value. */
const secretRef = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_.-]*$/,
    "must be a config key name such as 'supabaseServiceRoleKey' (letters, digits, '_', '-', '.')",
  );

const identifier = z
  .string()
  .regex(
    /^[a-z_][a-z0-9_$]{0,62}$/,
    "must be a lower-case Postgres identifier of at most 63 characters (letters, digits, '_')",
  );

const httpsUrl = z
  .string()
  .url("must be an absolute URL such as https://app.example.com/api/health")
  .refine((u) => u.startsWith("https://") || isLoopbackUrl(u), {
    message: "must use https:// (plain http is only accepted for loopback addresses)",
  });

function isLoopbackUrl(u: string): boolean {
  try {
    const host = new URL(u).hostname;
    return host === "localhost" || host === "[::1]" || host === "::1" || host.startsWith("127.");
  } catch {
    return false;
  }
}

const email = z.string().email("must be an e-mail address");

// ---------------------------------------------------------------------------
// Areas
// ---------------------------------------------------------------------------

export const featuresSchema = z
  .object({
    /** Vercel project and environment variables (needs the Vercel provider plugin). */
    vercel: z.boolean().default(true),
    /** GitHub Actions secrets, variables, environments and workflows. */
    github: z.boolean().default(true),
    /** S3 backup bucket, KMS key and the GitHub OIDC role. */
    backupStorage: z.boolean().default(true),
    /** Health checks, severity topics, alarms and budgets in AWS. */
    alerts: z.boolean().default(true),
    /** Row-level-security policies, applied by this project's dynamic provider. */
    rls: z.boolean().default(true),
    /** Backup jobs (pg_dump streamed to S3), by this project's dynamic provider. */
    backups: z.boolean().default(true),
    /** Credential rotation, by this project's dynamic provider. */
    rotation: z.boolean().default(true),
  })
  .strict();

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
    if (
      v.value !== undefined &&
      SECRET_LOOKING_NAME.test(v.key) &&
      !v.key.startsWith("NEXT_PUBLIC_")
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["value"],
        message: `'${v.key}' looks like a secret but is given as a plain value; store it with 'pulumi config set --secret <name>' and reference it with secretRef`,
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
    const seen = new Set<string>();
    v.env.forEach((e, i) => {
      const id = `${e.key}|${[...e.targets].sort().join(",")}|${e.gitBranch ?? ""}`;
      if (seen.has(id)) {
        ctx.addIssue({
          code: "custom",
          path: ["env", i, "key"],
          message: `duplicate variable ${e.key} for the same targets`,
        });
      }
      seen.add(id);
    });
  });

export const githubSchema = z
  .object({
    /** Organisation or user that owns the app repository. */
    owner: z.string().regex(/^[A-Za-z0-9-]+$/, "must be a GitHub user or organisation name"),
    /** The app repository name (without owner). */
    repository: z.string().regex(/^[\w.-]+$/, "must be a repository name without the owner"),
    /** Deployment environments; production should require reviewers. */
    environments: z
      .array(
        z
          .object({
            name: z.string().min(1),
            /** GitHub user ids (numbers) or team slugs who must approve. */
            reviewers: z
              .object({
                users: z.array(z.number().int().positive()).default([]),
                teams: z.array(z.string()).default([]),
              })
              .strict()
              .default({ users: [], teams: [] }),
            /** Minutes to wait before a deployment may proceed. */
            waitTimerMinutes: z.number().int().min(0).max(43200).default(0),
            /** Only protected branches may deploy here. */
            protectedBranchesOnly: z.boolean().default(true),
          })
          .strict(),
      )
      .default([
        {
          name: "staging",
          reviewers: { users: [], teams: [] },
          waitTimerMinutes: 0,
          protectedBranchesOnly: true,
        },
        {
          name: "production",
          reviewers: { users: [], teams: [] },
          waitTimerMinutes: 0,
          protectedBranchesOnly: true,
        },
      ]),
    /** Actions secrets; values come only from secret config. */
    secrets: z
      .array(
        z
          .object({
            name: z
              .string()
              .regex(
                /^(?!GITHUB_)[A-Z_][A-Z0-9_]*$/,
                "must be UPPER_SNAKE_CASE and not start with GITHUB_",
              ),
            environment: z.string().optional(),
            secretRef: secretRef.optional(),
            rotationRef: z.string().min(1).optional(),
          })
          .strict()
          .refine((s) => (s.secretRef === undefined) !== (s.rotationRef === undefined), {
            message: "set exactly one of secretRef or rotationRef",
          }),
      )
      .default([]),
    /** Actions variables: never secrets (they are readable by anyone with repo access). */
    variables: z
      .array(
        z
          .object({
            name: z
              .string()
              .regex(
                /^(?!GITHUB_)[A-Z_][A-Z0-9_]*$/,
                "must be UPPER_SNAKE_CASE and not start with GITHUB_",
              ),
            value: z.string(),
            environment: z.string().optional(),
          })
          .strict()
          .refine((v) => !SECRET_LOOKING_NAME.test(v.name), {
            message:
              "looks like a secret; GitHub variables are plaintext, declare it under github.secrets instead",
          }),
      )
      .default([]),
    /** Commit this project's workflow files into the app repository (else they stay in .github/ here). */
    commitWorkflows: z.boolean().default(false),
    /** Branch the workflows are committed to. */
    workflowBranch: z.string().default("main"),
  })
  .strict()
  .superRefine((g, ctx) => {
    const envs = new Set(g.environments.map((e) => e.name));
    g.secrets.forEach((s, i) => {
      if (s.environment && !envs.has(s.environment)) {
        ctx.addIssue({
          code: "custom",
          path: ["secrets", i, "environment"],
          message: `unknown environment '${s.environment}' (declared: ${[...envs].join(", ") || "none"})`,
        });
      }
    });
    g.variables.forEach((v, i) => {
      if (v.environment && !envs.has(v.environment)) {
        ctx.addIssue({
          code: "custom",
          path: ["variables", i, "environment"],
          message: `unknown environment '${v.environment}' (declared: ${[...envs].join(", ") || "none"})`,
        });
      }
    });
  });

export const databaseSchema = z
  .object({
    /** Config key of the secret Postgres connection string (admin/owner role). */
    urlSecretRef: secretRef.default("databaseUrl"),
    /** Schemas exposed through the Supabase Data API; tables there must have RLS. */
    exposedSchemas: z.array(identifier).min(1).default(["public"]),
    /** The role the app's queries run as (Supabase: `authenticated`). */
    appRole: identifier.default("authenticated"),
    /** Roles allowed to bypass RLS (besides superusers). */
    bypassRlsAllowed: z.array(identifier).default(["service_role"]),
    /** Seconds a DDL statement waits for a lock before retrying. */
    lockTimeoutSeconds: z.number().min(0.1).max(60).default(5),
    /** Attempts for DDL that hits a lock timeout. */
    lockRetries: z.number().int().min(0).max(20).default(5),
  })
  .strict();

const rlsCommand = z.enum(["ALL", "SELECT", "INSERT", "UPDATE", "DELETE"]);

export const rlsPolicySchema = z
  .object({
    name: z.string().min(1).max(63),
    command: rlsCommand.default("ALL"),
    mode: z.enum(["PERMISSIVE", "RESTRICTIVE"]).default("PERMISSIVE"),
    roles: z
      .array(z.string().min(1))
      .min(1, "needs at least one role (use 'public' for every role)")
      .default(["public"]),
    using: z.string().min(1).optional(),
    withCheck: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.command === "INSERT" && p.using !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["using"],
        message: "an INSERT policy cannot have USING; use withCheck",
      });
    }
    if ((p.command === "SELECT" || p.command === "DELETE") && p.withCheck !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["withCheck"],
        message: `a ${p.command} policy cannot have WITH CHECK; use using`,
      });
    }
    if (p.using === undefined && p.withCheck === undefined) {
      ctx.addIssue({ code: "custom", message: "a policy needs using, withCheck or both" });
    }
  });

export const rlsTableSchema = z
  .object({
    schema: identifier.default("public"),
    table: identifier,
    /** ENABLE ROW LEVEL SECURITY. */
    enabled: z.boolean().default(true),
    /** FORCE ROW LEVEL SECURITY (the owner is subject to policies too). */
    force: z.boolean().default(true),
    /** Helper: isolate rows by this column against the JWT claim `tenantClaim`. */
    tenantColumn: identifier.optional(),
    /** JWT claim holding the caller's tenant id. */
    tenantClaim: z.string().default("tenant_id"),
    /** Helper: rows owned by `auth.uid()` in this column. */
    ownerColumn: identifier.optional(),
    /** Helper: anyone (including anon) may read. */
    publicRead: z.boolean().default(false),
    /** Explicit policies, in addition to the helpers. */
    policies: z.array(rlsPolicySchema).default([]),
  })
  .strict()
  .superRefine((t, ctx) => {
    const names = new Set<string>();
    t.policies.forEach((p, i) => {
      if (names.has(p.name))
        ctx.addIssue({
          code: "custom",
          path: ["policies", i, "name"],
          message: `duplicate policy name '${p.name}' on ${t.schema}.${t.table}`,
        });
      names.add(p.name);
    });
    if (t.tenantColumn && t.ownerColumn) {
      ctx.addIssue({
        code: "custom",
        message: "choose one of tenantColumn or ownerColumn for the helper policies",
      });
    }
  });

export const rlsSchema = z
  .object({
    tables: z.array(rlsTableSchema).default([]),
  })
  .strict()
  .superRefine((r, ctx) => {
    const seen = new Set<string>();
    r.tables.forEach((t, i) => {
      const id = `${t.schema}.${t.table}`;
      if (seen.has(id))
        ctx.addIssue({
          code: "custom",
          path: ["tables", i, "table"],
          message: `table ${id} is declared twice`,
        });
      seen.add(id);
    });
  });

export const backupSchema = z
  .object({
    bucket: z
      .discriminatedUnion("mode", [
        z.object({ mode: z.literal("create") }).strict(),
        z
          .object({
            mode: z.literal("existing"),
            name: z
              .string()
              .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid S3 bucket name"),
          })
          .strict(),
        z.object({ mode: z.literal("skip") }).strict(),
      ])
      .default({ mode: "create" }),
    /** Key prefix for this stack's dumps. */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9!_.*'()/-]*$/, "must be a safe S3 key prefix")
      .default("postgres/"),
    /** Cron (UTC) for the backup workflow. */
    schedule: z
      .string()
      .regex(/^(\S+\s+){4}\S+$/, "must be a 5-field cron expression such as '17 3 * * *'")
      .default("17 3 * * *"),
    /** Days before a dump moves to an archive storage class. */
    archiveAfterDays: z.number().int().min(1).default(30),
    /** Days a dump is kept in total. */
    retentionDays: z.number().int().min(1).default(90),
    /** Days a superseded (noncurrent) object version is kept. */
    noncurrentVersionDays: z.number().int().min(1).default(30),
    /** Days after which an unfinished multipart upload is aborted. */
    abortIncompleteMultipartDays: z.number().int().min(1).max(30).default(2),
    /** S3 Object Lock to make dumps immutable. */
    objectLock: z
      .object({
        mode: z.enum(["GOVERNANCE", "COMPLIANCE"]),
        retentionDays: z.number().int().min(1),
      })
      .strict()
      .optional(),
    /** Hours after which a missing backup is an incident. */
    maxAgeHours: z.number().min(1).default(26),
    /** Custom S3 endpoint (the `local` stack's S3 server); omit for AWS. */
    endpoint: z.string().url().optional(),
    /** GitHub branch whose workflows may assume the backup role. */
    oidcBranch: z.string().default("main"),
    /** GitHub environment whose workflows may assume the backup role. */
    oidcEnvironment: z.string().optional(),
    /** Grandfather-father-son retention applied by `backup:prune`: newest backup per day, ISO week and month. */
    retention: z
      .object({
        daily: z.number().int().min(0).max(366).default(7),
        weekly: z.number().int().min(0).max(520).default(4),
        monthly: z.number().int().min(0).max(1200).default(6),
        /** Hours an incomplete backup folder is left alone (it may still be running). */
        incompleteGraceHours: z.number().min(1).max(720).default(24),
      })
      .strict()
      .default({ daily: 7, weekly: 4, monthly: 6, incompleteGraceHours: 24 }),
    /** Seconds pg_dump (and the row counts) may wait for a lock before the backup gives up. */
    lockWaitTimeoutSeconds: z.number().min(1).max(3600).default(120),
    /** Parallel data streams from one exported snapshot (1: a single pg_dump stream). */
    jobs: z.number().int().min(1).max(16).default(1),
    /** Tables with more estimated rows than this are counted by estimate in the manifest. */
    exactCountMaxRows: z.number().int().min(0).default(1_000_000),
    /** Config key of a secret 32-byte base64 key for client-side AES-256-GCM encryption of dumps. */
    encryptionKeySecretRef: secretRef.optional(),
    /** Static S3 credentials for a custom endpoint (the local stack's S3 server); AWS uses its credential chain. */
    credentials: z
      .object({ accessKeyIdSecretRef: secretRef, secretAccessKeySecretRef: secretRef })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.archiveAfterDays >= b.retentionDays) {
      ctx.addIssue({
        code: "custom",
        path: ["archiveAfterDays"],
        message: `must be less than retentionDays (${b.retentionDays}), otherwise dumps expire before they are archived`,
      });
    }
    if (b.objectLock && b.objectLock.retentionDays > b.retentionDays) {
      ctx.addIssue({
        code: "custom",
        path: ["objectLock", "retentionDays"],
        message: `must not exceed retentionDays (${b.retentionDays}); locked objects could not expire`,
      });
    }
  });

const routeSchema = z
  .object({
    /** E-mail subscribers (they must confirm the SNS subscription). */
    emails: z.array(email).default([]),
    /** Config key of a secret HTTPS webhook (e.g. a Slack incoming webhook). */
    webhookSecretRef: secretRef.optional(),
    /** Slack through AWS Chatbot. */
    chatbot: z
      .object({
        slackTeamId: z.string().regex(/^T[A-Z0-9]+$/, "must be a Slack team id like T0123ABCD"),
        slackChannelId: z
          .string()
          .regex(/^[CG][A-Z0-9]+$/, "must be a Slack channel id like C0123ABCD"),
      })
      .strict()
      .optional(),
  })
  .strict();

export const alertsSchema = z
  .object({
    healthCheck: z
      .object({
        /** Full URL of the app's health endpoint. */
        url: httpsUrl,
        /** Seconds between checks; Route 53 supports 10 or 30. */
        intervalSeconds: z
          .union([z.literal(10), z.literal(30)], {
            message: "must be 10 or 30 (the only intervals Route 53 health checks support)",
          })
          .default(30),
        /** Consecutive failures before the check is unhealthy. */
        failureThreshold: z.number().int().min(1).max(10).default(3),
        /** Severity raised when the app is down. */
        severity: z.enum(SEVERITIES).default("P0"),
      })
      .strict(),
    /** Response time per severity; defaults to the runbook's table. */
    escalation: z
      .record(
        z.enum(SEVERITIES),
        z
          .object({ respondWithinMinutes: z.number().int().min(0), meaning: z.string().min(1) })
          .strict(),
      )
      .default(DEFAULT_ESCALATION),
    /** Who is notified for each severity. */
    routes: z
      .record(z.enum(SEVERITIES), routeSchema)
      .default({ P0: { emails: [] }, P1: { emails: [] }, P2: { emails: [] }, P3: { emails: [] } }),
    /** Severity of a stale backup. */
    backupSeverity: z.enum(SEVERITIES).default("P1"),
    /** Severity of a budget threshold. */
    budgetSeverity: z.enum(SEVERITIES).default("P2"),
  })
  .strict()
  .superRefine((a, ctx) => {
    let previous = -1;
    for (const s of SEVERITIES) {
      const e = a.escalation[s];
      if (!e) {
        ctx.addIssue({
          code: "custom",
          path: ["escalation", s],
          message: `missing severity ${s}; every one of P0–P3 needs an entry`,
        });
        continue;
      }
      if (e.respondWithinMinutes < previous) {
        ctx.addIssue({
          code: "custom",
          path: ["escalation", s, "respondWithinMinutes"],
          message: `${s} must not be more urgent than the severity before it (${previous} min)`,
        });
      }
      previous = e.respondWithinMinutes;
      if (!a.routes[s]) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", s],
          message: `missing route for ${s}; add at least an empty entry so the topic exists`,
        });
      }
    }
    const p0 = a.routes.P0;
    if (p0 && p0.emails.length === 0 && !p0.webhookSecretRef && !p0.chatbot) {
      ctx.addIssue({
        code: "custom",
        path: ["routes", "P0"],
        message:
          "P0 has no subscriber (emails, webhookSecretRef or chatbot); a site-down alert would reach nobody",
      });
    }
  });

export const budgetSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, "must be letters, digits, '_' or '-'"),
    /** Monthly limit in USD. */
    monthlyLimitUsd: z.number().positive(),
    /** Notification thresholds in percent of the limit. */
    thresholds: z
      .array(
        z
          .object({
            percent: z.number().positive().max(1000),
            type: z.enum(["ACTUAL", "FORECASTED"]),
          })
          .strict(),
      )
      .min(1)
      .default([
        { percent: 80, type: "ACTUAL" },
        { percent: 100, type: "ACTUAL" },
        { percent: 100, type: "FORECASTED" },
      ]),
  })
  .strict();

export const rotationSchema = z
  .object({
    credentials: z
      .array(
        z
          .object({
            /** Stable name used by rotationRef elsewhere. */
            name: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, "must be lower-case kebab-case"),
            /** What is rotated. */
            kind: z.enum(["postgres-login", "supabase-secret-key", "generic"]),
            /** Rotate when the current credential is older than this. */
            intervalDays: z.number().int().min(1).max(365).default(30),
            /** Minutes both credentials stay valid before the old one is revoked. */
            overlapMinutes: z.number().int().min(1).default(60),
            /** URL that must be healthy with the new credential before the old one is revoked. */
            healthGateUrl: httpsUrl.optional(),
          })
          .strict(),
      )
      .default([]),
    /** Minutes between rotations of different credentials, so paired credentials never change together. */
    staggerMinutes: z.number().int().min(0).default(15),
  })
  .strict()
  .superRefine((r, ctx) => {
    const seen = new Set<string>();
    r.credentials.forEach((c, i) => {
      if (seen.has(c.name))
        ctx.addIssue({
          code: "custom",
          path: ["credentials", i, "name"],
          message: `duplicate credential '${c.name}'`,
        });
      seen.add(c.name);
    });
  });

export const awsSchema = z
  .object({
    region: z
      .string()
      .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "must be an AWS region such as eu-west-1"),
    /** The account's GitHub OIDC provider: `create` it, or use the `existing` one (an account holds only one, so a second stack in the same account sets `existing`). */
    githubOidcProvider: z.enum(["create", "existing"]).default("create"),
  })
  .strict();

/** Raw keys read from the `runbooks:` namespace, before validation. */
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
    budgets: z.array(budgetSchema).default([]),
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
    const credentials = new Set(c.rotation.credentials.map((r) => r.name));
    const checkRef = (ref: string | undefined, path: (string | number)[]) => {
      if (ref !== undefined && !credentials.has(ref)) {
        ctx.addIssue({
          code: "custom",
          path,
          message: `rotationRef '${ref}' is not declared under rotation.credentials`,
        });
      }
    };
    c.vercel?.env.forEach((e, i) => checkRef(e.rotationRef, ["vercel", "env", i, "rotationRef"]));
    c.github?.secrets.forEach((s, i) =>
      checkRef(s.rotationRef, ["github", "secrets", i, "rotationRef"]),
    );
  });

export type StackConfig = z.infer<typeof stackConfigSchema>;
export type Features = StackConfig["features"];
export type VercelConfig = z.infer<typeof vercelSchema>;
export type VercelEnvVarConfig = z.infer<typeof vercelEnvVarSchema>;
export type GithubConfig = z.infer<typeof githubSchema>;
export type DatabaseConfig = z.infer<typeof databaseSchema>;
export type RlsConfig = z.infer<typeof rlsSchema>;
export type RlsTableConfig = z.infer<typeof rlsTableSchema>;
export type RlsPolicyConfig = z.infer<typeof rlsPolicySchema>;
export type BackupConfig = z.infer<typeof backupSchema>;
export type AlertsConfig = z.infer<typeof alertsSchema>;
export type BudgetConfig = z.infer<typeof budgetSchema>;
export type RotationConfig = z.infer<typeof rotationSchema>;
export type AwsConfig = z.infer<typeof awsSchema>;

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

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

export interface ConfigContext {
  /** Stack name, e.g. `staging`. */
  stack: string;
  /** Path of the stack file shown in errors, e.g. `stacks/Pulumi.staging.yaml`. */
  stackFile: string;
}

export function stackFileFor(stack: string): string {
  return `stacks/Pulumi.${stack}.yaml`;
}

/** One clear error for the whole configuration: every problem, each with its key and fix. */
export class ConfigError extends Error {
  constructor(
    readonly context: ConfigContext,
    readonly problems: { key: string; message: string; fix: string }[],
  ) {
    super(
      [
        `Invalid configuration for stack '${context.stack}' (${context.stackFile}):`,
        ...problems.map((p) => `  - ${p.key}: ${p.message}\n    fix: ${p.fix}`),
      ].join("\n"),
    );
    this.name = "ConfigError";
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    out += typeof part === "number" ? `[${part}]` : out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

function fixFor(key: string, stack: string, topLevel: string): string {
  if (key === topLevel) {
    return `set it with: pulumi config set --path '${key}' <value> -s ${stack}, or edit ${stackFileFor(stack)} (see README "Configuration")`;
  }
  return `edit '${CONFIG_NAMESPACE}:${topLevel}' in ${stackFileFor(stack)}, or: pulumi config set --path '${key}' <value> -s ${stack}`;
}

// ---------------------------------------------------------------------------
// Pure parsing
// ---------------------------------------------------------------------------

/** A raw value per top-level key as read from the stack (objects already JSON-parsed). */
export type RawStackConfig = Partial<Record<ConfigKey, unknown>>;

/** Validate the raw keys. Throws `ConfigError` listing every problem at once. */
export function parseStackConfig(raw: RawStackConfig, context: ConfigContext): StackConfig {
  const result = stackConfigSchema.safeParse(stripUndefined(raw));
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = formatPath(issue.path) || "(root)";
    const topLevel = String(issue.path[0] ?? "");
    const message =
      issue.code === "invalid_type" && issue.input === undefined
        ? "is required but not set"
        : issue.message;
    return {
      key: `${CONFIG_NAMESPACE}:${key}`,
      message,
      fix: fixFor(key, context.stack, topLevel),
    };
  });
  throw new ConfigError(context, problems);
}

function stripUndefined(raw: RawStackConfig): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
}

/** A secret the configuration refers to, and why it is needed. */
export interface SecretRequirement {
  /** Config key (without namespace). */
  key: string;
  /** Where it is used, for the error message. */
  usedBy: string;
  /** Example value shape for the fix command. */
  example: string;
}

/** Every secret config key the validated configuration needs, de-duplicated. */
export function requiredSecrets(config: StackConfig): SecretRequirement[] {
  const out = new Map<string, SecretRequirement>();
  const add = (key: string, usedBy: string, example: string) => {
    if (!out.has(key)) out.set(key, { key, usedBy, example });
  };
  const f = config.features;
  if (f.rls || f.backups || f.rotation) {
    add(
      config.database.urlSecretRef,
      "database.urlSecretRef (RLS, backups, rotation)",
      "postgres://postgres:<password>@db.<ref>.supabase.co:5432/postgres?sslmode=require",
    );
  }
  if (f.backups) {
    const b = config.backup;
    if (b.encryptionKeySecretRef)
      add(b.encryptionKeySecretRef, "backup.encryptionKeySecretRef", "<openssl rand -base64 32>");
    if (b.credentials) {
      add(
        b.credentials.accessKeyIdSecretRef,
        "backup.credentials.accessKeyIdSecretRef",
        "<access key id>",
      );
      add(
        b.credentials.secretAccessKeySecretRef,
        "backup.credentials.secretAccessKeySecretRef",
        "<secret access key>",
      );
    }
  }
  if (f.vercel) {
    config.vercel?.env.forEach(
      (e) => e.secretRef && add(e.secretRef, `vercel.env ${e.key}`, "<value>"),
    );
  }
  if (f.github) {
    config.github?.secrets.forEach(
      (s) => s.secretRef && add(s.secretRef, `github.secrets ${s.name}`, "<value>"),
    );
  }
  if (f.alerts) {
    for (const s of SEVERITIES) {
      const ref = config.alerts?.routes[s]?.webhookSecretRef;
      if (ref)
        add(ref, `alerts.routes.${s}.webhookSecretRef`, "https://hooks.slack.com/services/<…>");
    }
  }
  return [...out.values()];
}

/** What the secret lookup found for one key. */
export type SecretLookup = { state: "missing" } | { state: "plaintext" } | { state: "secret" };

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
  const problems: ConfigError["problems"] = [];
  for (const r of requirements) {
    const found = lookup(r.key);
    const command = `pulumi config set --secret ${r.key} '${r.example}' -s ${context.stack}`;
    if (found.state === "missing") {
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
  if (problems.length > 0) throw new ConfigError(context, problems);
}

/** Escalation rows for outputs and the README, most urgent first. */
export function escalationTable(alerts: Pick<AlertsConfig, "escalation"> | undefined) {
  const table = alerts?.escalation ?? DEFAULT_ESCALATION;
  return SEVERITIES.map((severity) => ({ severity, ...table[severity]! }));
}

// ---------------------------------------------------------------------------
// Pulumi glue
// ---------------------------------------------------------------------------

/** The validated configuration plus its secrets, each a Pulumi secret output. */
export interface LoadedStackConfig extends StackConfig {
  stack: string;
  project: string;
  /** Secret values by config key; only keys that `requiredSecrets` named. */
  secrets: Record<string, Pulumi.Output<string>>;
  /** Look up a secret by key, failing with the fix if it was not required. */
  secret(key: string): Pulumi.Output<string>;
}

/**
 * The Pulumi SDK, loaded only by the program's glue below: commands that read
 * a stack file (and the backup job's process) never pay for it (~60 MB RSS).
 */
function pulumiSdk(): typeof Pulumi {
  return require("@pulumi/pulumi") as typeof Pulumi;
}

function isStoredAsSecret(fullKey: string): boolean {
  const pulumi = pulumiSdk();
  // `isConfigSecret` exists in the runtime but is not in its typings at this version.
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  if (typeof runtime.isConfigSecret === "function") return runtime.isConfigSecret(fullKey);
  const keys = JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS ?? "[]") as string[];
  return keys.includes(fullKey);
}

/** Read, validate and resolve the stack configuration. Call once, from `infra/index.ts`. */
export function loadStackConfig(): LoadedStackConfig {
  const pulumi = pulumiSdk();
  const stack = pulumi.getStack();
  const project = pulumi.getProject();
  const context = { stack, stackFile: stackFileFor(stack) };
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  const raw: RawStackConfig = {};
  const problems: ConfigError["problems"] = [];
  for (const key of CONFIG_KEYS) {
    try {
      raw[key] = key === "owner" ? config.get(key) : config.getObject(key);
    } catch (err) {
      problems.push({
        key: `${CONFIG_NAMESPACE}:${key}`,
        message: `is not valid YAML/JSON (${(err as Error).message.split("\n")[0]})`,
        fix: `edit '${CONFIG_NAMESPACE}:${key}' in ${context.stackFile}`,
      });
    }
  }
  if (problems.length > 0) throw new ConfigError(context, problems);
  if (raw.aws === undefined) {
    // The AWS provider's own `aws:region` is the natural place users set it.
    const region = new pulumi.Config("aws").get("region");
    if (region !== undefined) raw.aws = { region };
  }
  const parsed = parseStackConfig(raw, context);
  const requirements = requiredSecrets(parsed);
  checkSecrets(
    requirements,
    (key) => {
      const fullKey = `${CONFIG_NAMESPACE}:${key}`;
      if (config.get(key) === undefined) return { state: "missing" };
      return isStoredAsSecret(fullKey) ? { state: "secret" } : { state: "plaintext" };
    },
    context,
  );
  const secrets: Record<string, Pulumi.Output<string>> = {};
  for (const r of requirements) secrets[r.key] = config.requireSecret(r.key);
  return {
    ...parsed,
    stack,
    project,
    secrets,
    secret(key: string) {
      const value = secrets[key];
      if (value === undefined) {
        throw new ConfigError(context, [
          {
            key: `${CONFIG_NAMESPACE}:${key}`,
            message: "secret was not declared by any setting that needs it",
            fix: `reference it from a secretRef in ${context.stackFile}`,
          },
        ]);
      }
      return value;
    },
  };
}
