/**
 * What the backup commands share on the command line: the location flags,
 * settings resolution (infra/backups/settings.ts), the library's progress
 * events drawn through the runner's progress (a bar on a TTY, plain lines
 * otherwise, none with --json), SIGINT/SIGTERM as a cancel (the dump is
 * stopped and its upload aborted), and the core's result in the runner's shape.
 */
import type { CommandResult as CoreResult } from "../../infra/backups/commands";
import type { ProgressCallback } from "../../infra/backups/progress";
import { resolveBackupSettings, type BackupSettings } from "../../infra/backups/settings";
import type { Progress } from "../../infra/lib/progress";
import type { ArgSpecs, CommandResult } from "./command";

// The SDK's notice that Node 20 support ends in 2027 is known (README, Prerequisites); it would
// bury the command's output. The SDK is loaded lazily, after this line.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export const LOCATION_ARGS = {
  bucket: {
    type: "string",
    valueHint: "name",
    description: "bucket (default: $RUNBOOKS_BACKUP_BUCKET, or the stack's existing bucket)",
  },
  prefix: {
    type: "string",
    valueHint: "prefix",
    description: "key prefix (default: $RUNBOOKS_BACKUP_PREFIX, or the stack's backup.prefix)",
  },
  endpoint: {
    type: "string",
    valueHint: "url",
    description: "custom S3 endpoint (default: $S3_ENDPOINT, or the stack's backup.endpoint)",
  },
  region: {
    type: "string",
    valueHint: "region",
    description: "AWS region (default: $AWS_REGION, or the stack's aws.region)",
  },
} as const satisfies ArgSpecs;

export const ENVIRONMENT =
  "AWS credentials come from the standard chain (AWS_PROFILE, OIDC); S3_ACCESS_KEY_ID and\n" +
  "S3_SECRET_ACCESS_KEY for a custom endpoint; RUNBOOKS_BACKUP_ENCRYPTION_KEY for client-side encryption.\n" +
  "With -s local the local services' addresses and credentials are found on their own.";

export interface LocationValues {
  bucket?: string;
  prefix?: string;
  endpoint?: string;
  region?: string;
  "kms-key-id"?: string;
  "cloudwatch-endpoint"?: string;
}

/** The settings of a command run: flags, then the environment, then the stack file. */
export function settingsFrom(ctx: {
  args: LocationValues;
  stack?: { context: { stack: string } };
  databaseIfGiven?: { connectionString: string };
  env: NodeJS.ProcessEnv;
  root: string;
}): BackupSettings {
  const a = ctx.args;
  return resolveBackupSettings(
    {
      stack: ctx.stack?.context.stack,
      databaseUrl: ctx.databaseIfGiven?.connectionString,
      bucket: a.bucket,
      prefix: a.prefix,
      endpoint: a.endpoint,
      region: a.region,
      kmsKeyId: a["kms-key-id"],
      cloudwatchEndpoint: a["cloudwatch-endpoint"],
    },
    ctx.env,
    ctx.root,
  );
}

/**
 * The library's events as the runner's progress: one task per phase (bytes,
 * rate, ETA when the total is known), a lock wait as a line at once.
 */
export function progressCallback(progress: Progress): {
  callback: ProgressCallback;
  stop(): void;
} {
  let current: { phase: string; task: ReturnType<Progress["task"]> } | undefined;
  const stop = () => {
    current?.task.finish();
    current = undefined;
  };
  return {
    callback(event) {
      if (event.note) {
        progress.step(1, 1, event.note);
        return;
      }
      if (current?.phase !== event.phase) {
        stop();
        current = {
          phase: event.phase,
          task: progress.task(event.phase, { unit: "bytes", total: event.totalBytes }),
        };
      }
      current.task.update(event.bytes);
    },
    stop,
  };
}

/** A cancel signal wired to SIGINT/SIGTERM for the length of the work, and the progress. */
export async function withIo<T>(
  progress: Progress,
  work: (io: { onProgress: ProgressCallback; signal: AbortSignal }) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const cancel = () => controller.abort();
  process.once("SIGINT", cancel);
  process.once("SIGTERM", cancel);
  const bar = progressCallback(progress);
  try {
    return await work({ onProgress: bar.callback, signal: controller.signal });
  } finally {
    bar.stop();
    process.off("SIGINT", cancel);
    process.off("SIGTERM", cancel);
  }
}

/** The core's result for the runner: its findings decide the exit code, its lines are the text. */
export function toResult<R>(result: CoreResult<R>): CommandResult<R> {
  return {
    findings: result.findings,
    ...(result.report === undefined ? {} : { report: result.report }),
    text: result.lines,
  };
}
