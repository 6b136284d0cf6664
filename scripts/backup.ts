/**
 * `backup` (also `db:backup`) — take a backup now: pg_dump streamed to S3
 * with a SHA-256 and CRC32s, confirmed by S3's checksum of what it stored, a
 * manifest, then latest.json and the freshness metric. A failure replaces nothing.
 */
import { backupCommand } from "../infra/backups/commands";
import { defineCommand, type ArgSpecs } from "./lib/command";
import { ENVIRONMENT, LOCATION_ARGS, settingsFrom, toResult, withIo } from "./lib/backup-cli";
import { runAsMain } from "./lib/main";

const ARGS = {
  ...LOCATION_ARGS,
  "kms-key-id": {
    type: "string",
    valueHint: "arn",
    description: "SSE-KMS key (default: $RUNBOOKS_BACKUP_KMS_KEY_ARN, else the bucket's default)",
  },
  "cloudwatch-endpoint": {
    type: "string",
    valueHint: "url",
    description: "custom CloudWatch endpoint for the metric (default: $CLOUDWATCH_ENDPOINT)",
  },
  jobs: {
    type: "number",
    valueHint: "n",
    description: "parallel data streams from one snapshot (0: the stack's backup.jobs, else 1)",
    default: 0,
    min: 0,
    max: 16,
    integer: true,
  },
  "lock-wait-timeout": {
    type: "number",
    valueHint: "s",
    description: "longest wait for a lock (0: the stack's backup.lockWaitTimeoutSeconds, else 120)",
    default: 0,
    min: 0,
    max: 3600,
  },
} as const satisfies ArgSpecs;

const HELP =
  "Streams pg_dump --format=custom straight into S3 (no temp file), hashes it on the way, writes a\n" +
  "manifest (versions, sizes, SHA-256, row counts) once S3's checksum of every object matches the\n" +
  "bytes sent (or, where the server reports none, the object read back matches), and only then\n" +
  "moves latest.json and publishes the freshness metric the stale-backup alarm watches.\n" +
  "Exit 2: could not back up, and nothing was replaced.\n" +
  ENVIRONMENT;

function backupDefinition(name: string, description: string) {
  return defineCommand({
    name,
    description,
    help: HELP,
    shared: ["stack", "database-url", "json", "quiet"],
    optionalDatabase: true,
    args: ARGS,
    async run(ctx) {
      const settings = settingsFrom(ctx);
      if (ctx.args.jobs > 0) settings.jobs = ctx.args.jobs;
      if (ctx.args["lock-wait-timeout"] > 0)
        settings.lockWaitTimeoutSeconds = ctx.args["lock-wait-timeout"];
      return toResult(
        await withIo(ctx.progress, (io) =>
          backupCommand(settings, { ...io, env: ctx.env, yieldCpu: ctx.ownsProcess }),
        ),
      );
    },
  });
}

export const backup = backupDefinition(
  "backup",
  "Back up the database now: pg_dump streamed to S3, checksummed, verified, then latest",
);

/** The runbook's other name for the same command. */
export const dbBackup = backupDefinition("db:backup", "The same as backup (the runbook's name)");

runAsMain(module, backup);
