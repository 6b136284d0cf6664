/**
 * `npm run backup` (also `db:backup`) — take a backup now: pg_dump streamed to
 * S3 with a SHA-256, a manifest, read back and verified, then latest.json and
 * the freshness metric. A failure replaces nothing.
 */
import { backupCommand } from "../infra/backups/commands";
import { run, type ExitCode } from "./lib/cli";
import {
  ENVIRONMENT,
  LOCATION_OPTIONS,
  commandIo,
  print,
  settingsFrom,
  option,
} from "./lib/backup-cli";

const USAGE = `Usage: npm run backup -- [options]

Streams pg_dump --format=custom straight into S3 (no temp file), hashes it on the way, writes a
manifest (versions, sizes, SHA-256, row counts), reads every object back to verify it, and only
then moves latest.json and publishes the freshness metric the stale-backup alarm watches.

Options:
${LOCATION_OPTIONS}
  --kms-key-id <arn>      SSE-KMS key (default: $RUNBOOKS_BACKUP_KMS_KEY_ARN, else the bucket's default)
  --cloudwatch-endpoint <url>  custom CloudWatch endpoint for the metric (default: $CLOUDWATCH_ENDPOINT)
  --jobs <n>              parallel data streams from one snapshot (default: the stack's backup.jobs, 1)
  --lock-wait-timeout <seconds>  longest wait for a lock (default: the stack's, 120)
  --json                  print the report as JSON
  --help                  this text

${ENVIRONMENT}

Exit codes: 0 backed up and verified, 2 could not back up (nothing was replaced).`;

void run(
  async (flags): Promise<ExitCode> => {
    const settings = settingsFrom(flags);
    const jobs = option(flags, "jobs");
    const wait = option(flags, "lock-wait-timeout");
    if (jobs !== undefined) settings.jobs = Number(jobs);
    if (wait !== undefined) settings.lockWaitTimeoutSeconds = Number(wait);
    const { io, done } = commandIo(flags);
    try {
      return print(flags, await backupCommand(settings, io));
    } finally {
      done();
    }
  },
  { usage: USAGE },
);
