/** `runbooks:database`: the connection secret, exposed schemas, app role, lock behaviour of DDL. */
import { z } from "zod";
import { parseWith, type ConfigContext } from "./errors";
import type { Features } from "./features";
import { identifier, secretRef, type SecretRequirement } from "./shared";

/** Seconds a DDL statement waits for a lock before retrying. */
export const lockTimeoutSecondsSchema = z.number().min(0.1).max(60);
/** Attempts for DDL that hits a lock timeout. */
export const lockRetriesSchema = z.number().int().min(0).max(20);

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
    lockTimeoutSeconds: lockTimeoutSecondsSchema.default(5),
    lockRetries: lockRetriesSchema.default(5),
    /** The app's migration command, run by `db:deploy` in the app's directory. */
    migrateCommand: z.string().min(1).default("npx prisma migrate deploy"),
    /** The app's Prisma migrations folder, relative to the app's directory. */
    migrationsDir: z.string().min(1).default("prisma/migrations"),
  })
  .strict();

export type DatabaseConfig = z.infer<typeof databaseSchema>;

/** Validate `runbooks:database` alone (absent: the defaults). Throws `ConfigError`. */
export function parseDatabase(raw: unknown, context: ConfigContext): DatabaseConfig {
  return parseWith(databaseSchema, raw ?? {}, context, ["database"]);
}

/** The connection string, needed by every area that talks to the database. */
export function databaseSecrets(config: {
  features: Features;
  database: DatabaseConfig;
}): SecretRequirement[] {
  const f = config.features;
  if (!(f.rls || f.backups || f.rotation)) return [];
  return [
    {
      key: config.database.urlSecretRef,
      usedBy: "database.urlSecretRef (RLS, backups, rotation)",
      example: "postgres://postgres:<password>@db.<ref>.supabase.co:5432/postgres?sslmode=require",
    },
  ];
}
