/**
 * `npm run backup:verify` — the restore drill: the latest backup into a
 * scratch database, row counts against the manifest, rls:lint and rls:smoke
 * on the restore, scratch database dropped, pass or fail with timings.
 */
import { verifyCommand } from "../infra/backups/commands";
import { rlsForStack } from "../infra/backups/settings";
import { run, type ExitCode } from "./lib/cli";
import {
  ENVIRONMENT,
  LOCATION_OPTIONS,
  commandIo,
  option,
  print,
  settingsFrom,
} from "./lib/backup-cli";

const USAGE = `Usage: npm run backup:verify -- [options]

Restores the latest backup (or --from) into a new scratch database on the server of
$RUNBOOKS_SCRATCH_DATABASE_URL (default: --database-url; for -s local the local superuser), compares
every table's rows with the manifest, runs the RLS lints and the RLS smoke test of the stack's
declarations on it, and drops it again.

Options:
${LOCATION_OPTIONS}
  --from <key-or-id>      a backup id or key (default: latest.json)
  --json                  print the report as JSON
  --help                  this text

${ENVIRONMENT}

Exit codes: 0 the drill passed, 1 it failed, 2 could not run it.`;

void run(
  async (flags): Promise<ExitCode> => {
    const { io, done } = commandIo(flags);
    try {
      return print(
        flags,
        await verifyCommand(
          settingsFrom(flags),
          { from: option(flags, "from"), rls: rlsForStack(flags.stack) },
          io,
        ),
      );
    } finally {
      done();
    }
  },
  { usage: USAGE },
);
