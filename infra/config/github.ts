/** `runbooks:github`: the app repository's environments, Actions secrets and variables, workflows. */
import { z } from "zod";
import { parseWith, type ConfigContext } from "./errors";
import type { Features } from "./features";
import {
  isSecretLookingName,
  secretLookingValue,
  secretRef,
  type SecretRequirement,
} from "./shared";

const actionsName = z
  .string()
  .regex(/^(?!GITHUB_)[A-Z_][A-Z0-9_]*$/, "must be UPPER_SNAKE_CASE and not start with GITHUB_");

const environmentSchema = z
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
  .strict();

const actionsSecretSchema = z
  .object({
    name: actionsName,
    environment: z.string().optional(),
    secretRef: secretRef.optional(),
    rotationRef: z.string().min(1).optional(),
  })
  .strict()
  .refine((s) => (s.secretRef === undefined) !== (s.rotationRef === undefined), {
    message: "set exactly one of secretRef or rotationRef",
  });

const actionsVariableSchema = z
  .object({
    name: actionsName,
    value: z.string(),
    environment: z.string().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (isSecretLookingName(v.name)) {
      ctx.addIssue({
        code: "custom",
        message:
          "looks like a secret; GitHub variables are plaintext, declare it under github.secrets instead",
      });
      return;
    }
    const looksLike = secretLookingValue(v.value);
    if (looksLike !== undefined) {
      // The message names the kind of value, never the value.
      ctx.addIssue({
        code: "custom",
        path: ["value"],
        message: `the value of ${v.name} looks like ${looksLike}; GitHub variables are readable by anyone with access to the repository, declare it under github.secrets with secretRef and rotate it (it is in your git history)`,
      });
    }
  });

export const githubSchema = z
  .object({
    /** Organisation or user that owns the app repository. */
    owner: z.string().regex(/^[A-Za-z0-9-]+$/, "must be a GitHub user or organisation name"),
    /** The app repository name (without owner). */
    repository: z.string().regex(/^[\w.-]+$/, "must be a repository name without the owner"),
    /** Deployment environments; production should require reviewers. */
    environments: z.array(environmentSchema).default([
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
    secrets: z.array(actionsSecretSchema).default([]),
    /** Actions variables: never secrets (they are readable by anyone with repo access). */
    variables: z.array(actionsVariableSchema).default([]),
    /** Commit this project's workflow files into the app repository (else they stay in .github/ here). */
    commitWorkflows: z.boolean().default(false),
    /** Branch the workflows are committed to. */
    workflowBranch: z.string().default("main"),
  })
  .strict()
  .superRefine((g, ctx) => {
    const envs = new Set(g.environments.map((e) => e.name));
    const declared = [...envs].join(", ") || "none";
    const scoped = [
      ...g.secrets.map((s, i) => ({ list: "secrets", i, environment: s.environment })),
      ...g.variables.map((v, i) => ({ list: "variables", i, environment: v.environment })),
    ];
    for (const { list, i, environment } of scoped) {
      if (environment && !envs.has(environment)) {
        ctx.addIssue({
          code: "custom",
          path: [list, i, "environment"],
          message: `unknown environment '${environment}' (declared: ${declared})`,
        });
      }
    }
  });

export type GithubConfig = z.infer<typeof githubSchema>;

/** Validate `runbooks:github` alone. Throws `ConfigError`. */
export function parseGithub(raw: unknown, context: ConfigContext): GithubConfig {
  return parseWith(githubSchema, raw, context, ["github"]);
}

/** The secrets the Actions secrets read, when the area is on. */
export function githubSecrets(config: {
  features: Features;
  github?: GithubConfig;
}): SecretRequirement[] {
  if (!config.features.github) return [];
  return (config.github?.secrets ?? []).flatMap((s) =>
    s.secretRef
      ? [{ key: s.secretRef, usedBy: `github.secrets ${s.name}`, example: "<value>" }]
      : [],
  );
}
