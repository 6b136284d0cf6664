/**
 * `npm run restore` — restore the latest backup (or one chosen by --from or
 * --at) into the target database, verified while it streams and committed
 * only once every SHA-256 matched. A non-empty target is refused without --force.
 */
import { restoreCommand } from "../infra/backups/commands";
import { UsageError, run, type ExitCode } from "./lib/cli";
import {
  ENVIRONMENT,
  LOCATION_OPTIONS,
  commandIo,
  option,
  print,
  settingsFrom,
} from "./lib/backup-cli";

const USAGE = `Usage: npm run restore -- [--from KEY | --at TIME] [--tables a,b] [--force] [options]

Restores into the database of --database-url (the TARGET). Every object is checked against the
manifest's SHA-256 while it streams; the transaction commits only after all of them matched, so a
tampered or truncated backup changes nothing. Row counts are compared with the manifest.

Options:
${LOCATION_OPTIONS}
  --from <key-or-id>      a backup id or key from backup:list (default: latest.json)
  --at <time>             the newest backup taken at or before this ISO time, e.g. 2026-01-02T03:00:00Z
  --tables <a,b>          only these tables (schema.table or table for public); existing ones are emptied and reloaded
  --force                 replace tables that already exist in the target (they are listed when refused)
  --no-owner              do not restore object owners (everything then belongs to the connecting role)
  --jobs <n>              refused: see below
  --json                  print the report as JSON
  --help                  this text

Point in time: a logical backup restores the database as it was when that backup started. Real
point-in-time recovery needs WAL archiving (or your hosting's PITR add-on).

--jobs: pg_restore's parallel mode needs a seekable archive file and one connection per job, so it
can neither read a stream nor run in the single transaction that makes "verified before commit"
true. Restores here are therefore one stream, one transaction.

${ENVIRONMENT}

Exit codes: 0 restored and counts match, 1 refused (non-empty target) or counts differ, 2 could not restore (rolled back).`;

void run(
  async (flags): Promise<ExitCode> => {
    const jobs = option(flags, "jobs");
    if (jobs !== undefined && jobs !== "1")
      throw new UsageError(
        "--jobs is not supported for restore: pg_restore --jobs needs a seekable file and separate connections, which would give up verifying every byte before the single transaction commits",
      );
    const from = option(flags, "from");
    const atText = option(flags, "at");
    if (from && atText) throw new UsageError("pass --from or --at, not both");
    const at = atText === undefined ? undefined : new Date(atText);
    if (at && Number.isNaN(at.getTime()))
      throw new UsageError(`--at '${atText}' is not an ISO date/time such as 2026-01-02T03:00:00Z`);
    const tables = option(flags, "tables")
      ?.split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    const settings = settingsFrom(flags);
    const { io, done } = commandIo(flags);
    try {
      return print(
        flags,
        await restoreCommand(
          settings,
          {
            from,
            at,
            tables,
            force: flags.options.get("force") === true,
            noOwner: flags.options.get("no-owner") === true,
          },
          io,
        ),
      );
    } finally {
      done();
    }
  },
  { usage: USAGE },
);
