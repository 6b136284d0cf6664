/**
 * The backups area: the stack's `BackupJob` (a first verified backup on
 * create, a fresh one whenever its trigger changes, age on refresh).
 *
 * Where it writes: the bucket the backup-storage area manages (with its KMS
 * key), else the existing bucket named in `runbooks:backup.bucket`. The
 * nightly run is the GitHub workflow (infra/github/workflows.ts), which calls
 * the same `npm run backup`.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, ConfigError, type LoadedStackConfig } from "../config/index";
import type { BackupStorageOutputs } from "../backup-storage/deploy";
import { BackupJob, backupProviderVersion } from "./backup-job";

export interface BackupsDeps {
  backupStorage?: BackupStorageOutputs;
  /**
   * What should take a fresh backup when it changes: the RLS area's declared
   * tables (see `rlsBackupTrigger`), so every RLS apply is preceded by one.
   */
  trigger?: string;
}

/** Stack outputs of the area (nothing secret). */
export interface BackupsOutputs {
  bucket: pulumi.Input<string>;
  prefix: string;
  latest: pulumi.Output<unknown>;
  stale: pulumi.Output<boolean>;
  providerVersion: string;
  /** The job itself, for `dependsOn` (not exported). */
  job: BackupJob;
}

/** A stable digest of the RLS declarations: it changes exactly when an RLS apply will. */
export function rlsBackupTrigger(declared: unknown): string {
  return `rls:${createHash("sha256").update(JSON.stringify(declared)).digest("hex").slice(0, 16)}`;
}

export function deployBackups(
  config: LoadedStackConfig,
  deps: BackupsDeps = {},
): BackupsOutputs | undefined {
  if (!config.features.backups) return undefined;
  const b = config.backup;
  // `skip` means this stack keeps no backups in S3: no job either.
  if (b.bucket.mode === "skip") return undefined;
  const context = { stack: config.stack, stackFile: `stacks/Pulumi.${config.stack}.yaml` };
  let bucket: pulumi.Input<string>;
  if (deps.backupStorage) bucket = deps.backupStorage.bucketName;
  else if (b.bucket.mode === "existing") bucket = b.bucket.name;
  else
    throw new ConfigError(context, [
      {
        key: `${CONFIG_NAMESPACE}:backup.bucket`,
        message:
          "features.backups has no bucket: backupStorage is off and no existing bucket is named",
        fix: `edit '${CONFIG_NAMESPACE}:backup' in ${context.stackFile}: bucket: { mode: existing, name: <bucket> }`,
      },
    ]);
  const region = config.aws?.region ?? "us-east-1";
  const job = new BackupJob(`${config.project}-backup`, {
    stack: config.stack,
    connection: config.secret(config.database.urlSecretRef),
    bucket,
    prefix: b.prefix,
    region,
    endpoint: b.endpoint,
    credentials: b.credentials
      ? pulumi
          .all([
            config.secret(b.credentials.accessKeyIdSecretRef),
            config.secret(b.credentials.secretAccessKeySecretRef),
          ])
          .apply(([accessKeyId, secretAccessKey]) => ({ accessKeyId, secretAccessKey }))
      : undefined,
    kmsKeyId: deps.backupStorage?.kmsKeyArn,
    encryptionKey: b.encryptionKeySecretRef ? config.secret(b.encryptionKeySecretRef) : undefined,
    schedule: b.schedule,
    retentionDays: b.retentionDays,
    maxAgeHours: b.maxAgeHours,
    jobs: b.jobs,
    lockWaitTimeoutSeconds: b.lockWaitTimeoutSeconds,
    exactCountMaxRows: b.exactCountMaxRows,
    // A custom endpoint is the local stack: no CloudWatch there, so no metric.
    metricRegion: b.endpoint ? undefined : region,
    trigger: deps.trigger ?? "manual",
  });
  return {
    bucket,
    prefix: b.prefix,
    latest: job.latest,
    stale: job.stale,
    providerVersion: backupProviderVersion(),
    job,
  };
}
