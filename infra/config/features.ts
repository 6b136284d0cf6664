/** `runbooks:features`: which areas of the runbook this stack manages. */
import { z } from "zod";
import { parseWith, type ConfigContext } from "./errors";

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

export type Features = z.infer<typeof featuresSchema>;

/** Validate `runbooks:features` alone (absent: every area on). Throws `ConfigError`. */
export function parseFeatures(raw: unknown, context: ConfigContext): Features {
  return parseWith(featuresSchema, raw ?? {}, context, ["features"]);
}
