/**
 * Where a backup command reads its settings: flags first, then the
 * environment (what the GitHub workflow sets), then the stack file through
 * the one config reader (infra/config/stack-file.ts). For the `local` stack,
 * the run-time config (.local/Pulumi.local.yaml) and the local services'
 * addresses and generated credentials (.local/services.json) fill in the
 * rest, so `npm run backup:verify -- -s local` needs nothing else.
 *
 * Secrets come from flags or the environment only (DATABASE_URL,
 * RUNBOOKS_BACKUP_ENCRYPTION_KEY, the AWS credential chain); the stack
 * file's encrypted values are never decrypted here.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readStackConfig } from "../config/stack-file";
import type { StackConfig } from "../config/index";
import { REPO_ROOT } from "../lib/paths";
import type { DrillOptions } from "./drill";
import type { MetricTarget } from "./metric";
import { BackupSetupError } from "./pg-tools";
import type { RetentionPolicy } from "./retention";
import type { S3Location } from "./s3";
import { readLocalServices } from "../local/endpoints";

export interface BackupSettingsInput {
  stack?: string;
  databaseUrl?: string;
  bucket?: string;
  prefix?: string;
  endpoint?: string;
  region?: string;
  kmsKeyId?: string;
  cloudwatchEndpoint?: string;
}

export interface BackupSettings {
  stack?: string;
  location: S3Location;
  /** The database to back up or restore into. Secret. */
  databaseUrl?: string;
  /** A superuser/CREATEDB connection for the drill's scratch database (local stack). Secret. */
  scratchServerUrl?: string;
  encryptionKey?: string;
  maxAgeHours: number;
  retention: RetentionPolicy;
  jobs: number;
  lockWaitTimeoutSeconds: number;
  exactCountMaxRows: number;
  /** Where the freshness metric goes; undefined: not published (and said so). */
  metric?: MetricTarget;
}

export function resolveBackupSettings(
  input: BackupSettingsInput,
  env: NodeJS.ProcessEnv = process.env,
  root: string = REPO_ROOT,
): BackupSettings {
  let config: StackConfig | undefined;
  let local: ReturnType<typeof readLocalServices>;
  if (input.stack) {
    const runtime = join(root, ".local", `Pulumi.${input.stack}.yaml`);
    config = readStackConfig({
      stack: input.stack,
      root,
      configFile: input.stack === "local" && existsSync(runtime) ? runtime : undefined,
    }).config;
    if (input.stack === "local") local = readLocalServices(root);
  }
  const b = config?.backup;
  const bucket =
    input.bucket ??
    env.RUNBOOKS_BACKUP_BUCKET ??
    (b?.bucket.mode === "existing" ? b.bucket.name : undefined);
  if (!bucket)
    throw new BackupSetupError(
      "no backup bucket: the stack's bucket is created by backupStorage and its name is a stack output.",
      `pass --bucket <name> (pulumi stack output backupStorage --stack ${input.stack ?? "<stack>"}), or set RUNBOOKS_BACKUP_BUCKET, or pass --stack for a stack with an existing bucket`,
      "require-backup-bucket",
    );
  const endpoint = input.endpoint ?? env.S3_ENDPOINT ?? b?.endpoint ?? local?.s3?.endpoint;
  const accessKeyId = env.S3_ACCESS_KEY_ID ?? local?.s3?.accessKeyId;
  const secretAccessKey = env.S3_SECRET_ACCESS_KEY ?? local?.s3?.secretAccessKey;
  const region = input.region ?? env.AWS_REGION ?? config?.aws?.region ?? "us-east-1";
  const location: S3Location = {
    bucket,
    prefix: input.prefix ?? env.RUNBOOKS_BACKUP_PREFIX ?? b?.prefix ?? "postgres/",
    region,
    endpoint,
    credentials:
      endpoint && accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    kmsKeyId: input.kmsKeyId ?? env.RUNBOOKS_BACKUP_KMS_KEY_ARN,
  };
  const cloudwatchEndpoint = input.cloudwatchEndpoint ?? env.CLOUDWATCH_ENDPOINT;
  // A custom S3 endpoint without a CloudWatch one is the local stack: nothing watches a metric there.
  const metric: MetricTarget | undefined =
    input.stack && (cloudwatchEndpoint || !endpoint)
      ? { stack: input.stack, region, endpoint: cloudwatchEndpoint }
      : undefined;
  const defaults = { daily: 7, weekly: 4, monthly: 6, incompleteGraceHours: 24 };
  return {
    stack: input.stack,
    location,
    databaseUrl: input.databaseUrl ?? env.DATABASE_URL ?? local?.postgres?.databaseUrl,
    scratchServerUrl:
      env.RUNBOOKS_SCRATCH_DATABASE_URL ??
      local?.postgres?.adminUrl ??
      input.databaseUrl ??
      env.DATABASE_URL,
    encryptionKey: env.RUNBOOKS_BACKUP_ENCRYPTION_KEY || undefined,
    maxAgeHours: b?.maxAgeHours ?? 26,
    retention: b?.retention ?? defaults,
    jobs: b?.jobs ?? 1,
    lockWaitTimeoutSeconds: b?.lockWaitTimeoutSeconds ?? 120,
    exactCountMaxRows: b?.exactCountMaxRows ?? 1_000_000,
    metric,
  };
}

/**
 * The stack's RLS declarations and settings, for the drill's lint and smoke
 * test (loaded only by the drill: it pulls in the RLS area and the Pulumi SDK).
 */
export function rlsForStack(
  stack: string | undefined,
  root: string = REPO_ROOT,
): DrillOptions["rls"] {
  if (!stack) return undefined;
  const runtime = join(root, ".local", `Pulumi.${stack}.yaml`);
  const { config } = readStackConfig({
    stack,
    root,
    configFile: stack === "local" && existsSync(runtime) ? runtime : undefined,
  });
  if (!config.features.rls) return undefined;
  const { rlsTablesFor } = require("../rls/deploy") as typeof import("../rls/deploy");
  return {
    tables: rlsTablesFor(config, stack),
    settings: {
      exposedSchemas: config.database.exposedSchemas,
      appRole: config.database.appRole,
      bypassRlsAllowed: config.database.bypassRlsAllowed,
    },
  };
}

/** The database URL a command needs, or the error saying how to give one. */
export function requireUrl(url: string | undefined, what: string): string {
  if (!url)
    throw new BackupSetupError(
      `no ${what}.`,
      "pass --database-url postgres://… or set DATABASE_URL (for a stack: DATABASE_URL=$(pulumi config get databaseUrl -s <stack>))",
      "require-database-url",
    );
  return url;
}
