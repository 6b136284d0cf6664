/**
 * `npm run backup:prune` — grandfather-father-son retention: keeps the newest
 * backup of each of the last N days, M weeks and K months, never the newest
 * backup, never on a partial listing, never against Object Lock.
 */
import { pruneCommand } from "../infra/backups/commands";
import { run, type ExitCode } from "./lib/cli";
import { ENVIRONMENT, LOCATION_OPTIONS, print, settingsFrom } from "./lib/backup-cli";

const USAGE = `Usage: npm run backup:prune -- [--dry-run] [options]

Applies runbooks:backup.retention (daily, weekly, monthly counts). Lists every page first and deletes
nothing if any page fails. Objects under Object Lock are kept and reported.

Options:
${LOCATION_OPTIONS}
  --dry-run               print what would be deleted, delete nothing
  --json                  print the report as JSON
  --help                  this text

${ENVIRONMENT}
The credentials need s3:DeleteObject under the prefix (the backup role of the workflow has none, on purpose).

Exit codes: 0 done, 2 could not (nothing or only part deleted, said which).`;

void run(
  async (flags): Promise<ExitCode> =>
    print(
      flags,
      await pruneCommand(settingsFrom(flags), { dryRun: flags.options.get("dry-run") === true }),
    ),
  { usage: USAGE },
);
