/**
 * What the backup commands share on the command line: the location flags,
 * settings resolution (infra/backups/settings.ts), progress on stderr (a bar
 * on a TTY, plain lines otherwise, none with --json), SIGINT/SIGTERM as a
 * cancel (the dump is stopped and its upload aborted), and the output.
 */
import type { CommandResult } from "../../infra/backups/commands";
import { progressRenderer } from "../../infra/backups/progress";
import { resolveBackupSettings, type BackupSettings } from "../../infra/backups/settings";
import type { CommonFlags, ExitCode } from "./cli";

// The SDK's notice that Node 20 support ends in 2027 is known (README, Prerequisites); it would
// bury the command's output. The SDK is loaded lazily, after this line.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export const LOCATION_OPTIONS = `  --stack <name>          settings of stacks/Pulumi.<name>.yaml (-s); 'local' also finds the local services
  --database-url <url>    connection string (default: $DATABASE_URL; for -s local: the local database)
  --bucket <name>         bucket (default: $RUNBOOKS_BACKUP_BUCKET, or the stack's existing bucket)
  --prefix <prefix>       key prefix (default: $RUNBOOKS_BACKUP_PREFIX, or the stack's backup.prefix)
  --endpoint <url>        custom S3 endpoint (default: $S3_ENDPOINT, or the stack's backup.endpoint)
  --region <region>       AWS region (default: $AWS_REGION, or the stack's aws.region)`;

export const ENVIRONMENT = `Environment: AWS credentials from the standard chain (AWS_PROFILE, OIDC); S3_ACCESS_KEY_ID and
S3_SECRET_ACCESS_KEY for a custom endpoint; RUNBOOKS_BACKUP_ENCRYPTION_KEY for client-side encryption.`;

const str = (flags: CommonFlags, name: string) => {
  const v = flags.options.get(name);
  return typeof v === "string" ? v : undefined;
};

export function settingsFrom(flags: CommonFlags): BackupSettings {
  return resolveBackupSettings({
    stack: flags.stack,
    databaseUrl: flags.databaseUrl,
    bucket: str(flags, "bucket"),
    prefix: str(flags, "prefix"),
    endpoint: str(flags, "endpoint"),
    region: str(flags, "region"),
    kmsKeyId: str(flags, "kms-key-id"),
    cloudwatchEndpoint: str(flags, "cloudwatch-endpoint"),
  });
}

export function option(flags: CommonFlags, name: string): string | undefined {
  return str(flags, name);
}

/** Progress on stderr unless --json; a cancel signal wired to SIGINT/SIGTERM. */
export function commandIo(flags: CommonFlags) {
  const renderer = flags.json
    ? undefined
    : progressRenderer({
        tty: Boolean(process.stderr.isTTY),
        write: (l) => process.stderr.write(`${l}\n`),
      });
  const controller = new AbortController();
  const cancel = () => controller.abort();
  process.once("SIGINT", cancel);
  process.once("SIGTERM", cancel);
  return {
    io: { onProgress: renderer?.callback, signal: controller.signal },
    done() {
      renderer?.stop();
      process.off("SIGINT", cancel);
      process.off("SIGTERM", cancel);
    },
  };
}

/** Print the result (the whole result as JSON with --json) and return its exit code. */
export function print<R>(flags: CommonFlags, result: CommandResult<R>): ExitCode {
  if (flags.json)
    console.log(
      JSON.stringify(
        {
          ok: result.exitCode === 0,
          exitCode: result.exitCode,
          findings: result.findings,
          report: result.report,
        },
        null,
        2,
      ),
    );
  else for (const line of result.lines) (result.exitCode === 2 ? console.error : console.log)(line);
  return result.exitCode;
}
