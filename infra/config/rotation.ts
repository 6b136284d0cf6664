/** `runbooks:rotation`: which credentials are rotated, how often, with what overlap, gate and delivery. */
import { z } from "zod";
import { duplicates } from "../lib/unique";
import { parseWith, type ConfigContext } from "./errors";
import type { Features } from "./features";
import type { GithubConfig } from "./github";
import { httpsUrl, identifier, secretRef, type SecretRequirement } from "./shared";
import type { VercelConfig } from "./vercel";

/** Kinds of Supabase key that cannot overlap, so they are refused as rotated credentials. */
export const LEGACY_SUPABASE_KINDS = ["supabase-legacy-jwt", "supabase-service-role-jwt"] as const;

const ROTATED_KINDS = ["postgres-login", "supabase-secret-key", "generic"] as const;
export const POSTGRES_PRIVILEGES = [
  "SELECT",
  "INSERT",
  "UPDATE",
  "DELETE",
  "TRUNCATE",
  "REFERENCES",
  "TRIGGER",
] as const;

const apiEndpoint = (defaultUrl: string, defaultTokenRef: string) =>
  z
    .object({
      /** Base URL of the API (a local stand-in in the `local` stack). */
      url: httpsUrl.default(defaultUrl),
      /** Config key of the secret API token. */
      tokenSecretRef: secretRef.default(defaultTokenRef),
    })
    .strict()
    .default({ url: defaultUrl, tokenSecretRef: defaultTokenRef });

export const rotatedCredentialSchema = z
  .object({
    /** Stable name used by rotationRef elsewhere. */
    name: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, "must be lower-case kebab-case"),
    /** What is rotated. */
    kind: z.enum([...ROTATED_KINDS, ...LEGACY_SUPABASE_KINDS]),
    /** Rotate when the current credential is older than this. */
    intervalDays: z.number().int().min(1).max(365).default(30),
    /** Minutes the previous credential stays valid after a rotation, unless the next rotation comes first. */
    overlapMinutes: z.number().int().min(1).default(60),
    /** URL that must be healthy with the new credential before the old one is revoked (default: rotation.gate.url). */
    healthGateUrl: httpsUrl.optional(),
    /** Bump to rotate on the next `up`, whatever the age. */
    epoch: z.number().int().min(0).default(0),
    /** generic: length of the generated secret. */
    length: z.number().int().min(24).max(256).default(48),
    /** generic: characters the secret is drawn from. */
    alphabet: z.enum(["alphanumeric", "base64url", "hex"]).default("alphanumeric"),
    /** postgres-login: the group role that owns the objects and holds the grants (default: the name in snake_case). */
    group: identifier.optional(),
    /** postgres-login: schemas the group may use, with `privileges` on their tables and default privileges for new ones. */
    schemas: z.array(identifier).min(1).default(["public"]),
    /** postgres-login: table privileges of the group. */
    privileges: z
      .array(z.enum(POSTGRES_PRIVILEGES))
      .min(1)
      .default(["SELECT", "INSERT", "UPDATE", "DELETE"]),
    /** supabase-secret-key: the project ref (20 lower-case letters). */
    projectRef: z
      .string()
      .regex(/^[a-z]{20}$/, "must be a Supabase project ref (20 lower-case letters)")
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((LEGACY_SUPABASE_KINDS as readonly string[]).includes(c.kind)) {
      ctx.addIssue({
        code: "custom",
        path: ["kind"],
        message:
          `'${c.kind}' cannot be rotated without downtime: regenerating the legacy JWT secret invalidates anon and service_role at the same moment, so there is no overlap. ` +
          "Migrate instead: create a secret API key (kind: supabase-secret-key) and a publishable key, switch the app to them, then disable the legacy keys in the Supabase dashboard (Settings → API Keys)",
      });
    }
    if (c.kind === "supabase-secret-key" && c.projectRef === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["projectRef"],
        message: "a supabase-secret-key needs the project ref its keys belong to",
      });
    }
  });

export const rotationSchema = z
  .object({
    credentials: z.array(rotatedCredentialSchema).default([]),
    /** Minutes between rotations of different credentials, so paired credentials never change together. */
    staggerMinutes: z.number().int().min(0).default(15),
    /** The health gate between the redeploy and the revocation. */
    gate: z
      .object({
        /** Default health URL of every credential without its own healthGateUrl. */
        url: httpsUrl.optional(),
        /** Consecutive healthy answers needed. */
        passes: z.number().int().min(1).max(20).default(3),
        intervalSeconds: z.number().min(0).max(60).default(2),
        /** Per request. */
        timeoutSeconds: z.number().min(1).max(60).default(10),
        /** The whole gate, after which it fails. */
        deadlineSeconds: z.number().min(5).max(3600).default(300),
      })
      .strict()
      .default({ passes: 3, intervalSeconds: 2, timeoutSeconds: 10, deadlineSeconds: 300 }),
    /**
     * How rotated values reach Vercel and GitHub: through this program's
     * platform components (`components`, needs their provider plugins), or
     * straight through the vendors' APIs (`api`, for stacks without them).
     */
    delivery: z.enum(["components", "api"]).default("components"),
    /**
     * Who declares the postgres-login group roles, grants and default
     * privileges: the @pulumi/postgresql provider, or someone else from the
     * same declaration (`external`: the local harness).
     */
    postgresRoles: z.enum(["postgresql-provider", "external"]).default("postgresql-provider"),
    /** The Vercel REST API (redeploys; env vars when delivery is api). */
    vercelApi: apiEndpoint("https://api.vercel.com", "vercelApiToken"),
    /** The GitHub REST API (secrets when delivery is api). */
    githubApi: apiEndpoint("https://api.github.com", "githubToken"),
    /** The Supabase Management API (supabase-secret-key). */
    supabaseApi: apiEndpoint("https://api.supabase.com", "supabaseAccessToken"),
    /** The audit log: a local JSON-lines file (path relative to the repository), else the backup bucket. */
    audit: z
      .object({ file: z.string().min(1).optional() })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((r, ctx) => {
    for (const d of duplicates(r.credentials, (c) => c.name)) {
      ctx.addIssue({
        code: "custom",
        path: ["credentials", d.index, "name"],
        message: `duplicate credential '${d.key}'`,
      });
    }
  });

export type RotationConfig = z.infer<typeof rotationSchema>;
export type RotatedCredentialConfig = z.infer<typeof rotatedCredentialSchema>;

/** Validate `runbooks:rotation` alone (absent: nothing rotated). Throws `ConfigError`. */
export function parseRotation(raw: unknown, context: ConfigContext): RotationConfig {
  return parseWith(rotationSchema, raw ?? {}, context, ["rotation"]);
}

/**
 * Why a `rotationRef` is wrong, or undefined when it names a declared
 * credential. `<name>.previous` is the still-valid previous value of a generic
 * secret (apps read NAME and NAME_PREVIOUS during the overlap).
 */
export function rotationRefProblem(
  rotation: Pick<RotationConfig, "credentials">,
  ref: string,
): string | undefined {
  const [name, slot] = ref.split(".") as [string, string | undefined];
  const credential = rotation.credentials.find((c) => c.name === name);
  if (credential === undefined)
    return `rotationRef '${ref}' is not declared under rotation.credentials`;
  if (slot !== undefined && (slot !== "previous" || credential.kind !== "generic"))
    return `rotationRef '${ref}': only a generic credential has a '.previous' value (apps accept NAME and NAME_PREVIOUS during the overlap)`;
  return undefined;
}

/** The API tokens the rotation needs, when the area is on. */
export function rotationSecrets(config: {
  features: Features;
  rotation: RotationConfig;
  vercel?: VercelConfig;
  github?: GithubConfig;
}): SecretRequirement[] {
  if (!config.features.rotation) return [];
  const r = config.rotation;
  const out: SecretRequirement[] = [];
  if ((config.vercel?.env ?? []).some((e) => e.rotationRef !== undefined))
    out.push({
      key: r.vercelApi.tokenSecretRef,
      usedBy: "rotation.vercelApi (redeploys after a rotation)",
      example: "<Vercel access token>",
    });
  if (
    r.delivery === "api" &&
    (config.github?.secrets ?? []).some((s) => s.rotationRef !== undefined)
  )
    out.push({
      key: r.githubApi.tokenSecretRef,
      usedBy: "rotation.githubApi (rotated GitHub secrets)",
      example: "<GitHub token>",
    });
  if (r.credentials.some((c) => c.kind === "supabase-secret-key"))
    out.push({
      key: r.supabaseApi.tokenSecretRef,
      usedBy: "rotation.supabaseApi (supabase-secret-key)",
      example: "<Supabase access token>",
    });
  return out;
}
