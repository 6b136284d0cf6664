/**
 * What one `BackupJob` takes, and `check`: the same zod rules as the stack
 * config's `runbooks:backup` (one rule, one place), plus the pieces the
 * program adds (connection, resolved bucket, trigger). Values the engine does
 * not know yet during preview pass through unchecked.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { backupSchema } from "../config/index";

export interface BackupJobInputs {
  /** Stack name: the manifest's `stack` and the metric's dimension. */
  stack: string;
  /** Source connection string. Secret. */
  connection: string;
  bucket: string;
  prefix: string;
  region: string;
  /** Custom S3 endpoint (local stack). */
  endpoint?: string;
  /** Static S3 credentials for a custom endpoint. Secret. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** SSE-KMS key ARN of the backup bucket. */
  kmsKeyId?: string;
  /** Client-side encryption key (base64). Secret. */
  encryptionKey?: string;
  /** Cron of the scheduled backup (run by the GitHub workflow), recorded for `read`. */
  schedule: string;
  /** Days every backup is kept at least (runbooks:backup.retentionDays); the policy pack reads it. */
  retentionDays: number;
  maxAgeHours: number;
  jobs: number;
  lockWaitTimeoutSeconds: number;
  exactCountMaxRows: number;
  /** Publish the freshness metric in this region after the backups `up` takes (AWS stacks). */
  metricRegion?: string;
  /** A change takes a fresh backup during `up` (RLS changes feed it, so a backup precedes them). */
  trigger: string;
  /** Hash of the provider's import graph; recorded, not acted on (see provider.ts diff). */
  providerVersion: string;
}

/** The engine's placeholder for a value not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const b = backupSchema.shape;

const jobInputs = z.object({
  stack: z.string().min(1),
  connection: z
    .string()
    .min(
      1,
      "must be a Postgres connection string (the secret named by runbooks:database.urlSecretRef)",
    ),
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid S3 bucket name"),
  prefix: b.prefix.refine(
    (p) => p.endsWith("/") && !p.startsWith("/"),
    "must end in '/' and not start with '/'",
  ),
  region: z.string().min(1),
  endpoint: b.endpoint,
  credentials: z
    .object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) })
    .optional(),
  kmsKeyId: z.string().optional(),
  encryptionKey: z.string().optional(),
  schedule: b.schedule,
  retentionDays: b.retentionDays,
  maxAgeHours: b.maxAgeHours,
  jobs: b.jobs,
  lockWaitTimeoutSeconds: b.lockWaitTimeoutSeconds,
  exactCountMaxRows: b.exactCountMaxRows,
  metricRegion: z.string().optional(),
  trigger: z.string(),
  providerVersion: z.string().optional(),
});

/** Every input, in declaration order (what `diff` compares). */
export const INPUT_KEYS = Object.keys(jobInputs.shape) as (keyof BackupJobInputs)[];

type Failure = pulumi.dynamic.CheckFailure;

export function checkBackupJobInputs(news: Record<string, unknown>): {
  inputs: BackupJobInputs;
  failures: Failure[];
} {
  const known = Object.fromEntries(
    Object.entries(jobInputs.shape).filter(([key]) => news[key] !== UNKNOWN),
  );
  const parsed = z.object(known).safeParse(news);
  const failures: Failure[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ property: i.path.join("."), reason: i.message }));
  return {
    inputs: {
      ...(news as unknown as BackupJobInputs),
      ...(parsed.success ? parsed.data : {}),
    } as BackupJobInputs,
    failures,
  };
}
