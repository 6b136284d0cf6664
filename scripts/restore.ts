/**
 * `restore` — restore the latest backup (or one chosen by --from or --at)
 * into the target database, verified while it streams and committed only once
 * every SHA-256 matched. A non-empty target is refused without --force.
 */
import { restoreCommand } from "../infra/backups/commands";
import { defineCommand, UsageError, type ArgSpecs } from "./lib/command";
import { ENVIRONMENT, LOCATION_ARGS, settingsFrom, toResult, withIo } from "./lib/backup-cli";
import { runAsMain } from "./lib/main";

const ARGS = {
  ...LOCATION_ARGS,
  from: {
    type: "string",
    valueHint: "key-or-id",
    description: "a backup id or key from backup:list (default: latest.json)",
  },
  at: {
    type: "string",
    valueHint: "time",
    description: "the newest backup taken at or before this ISO time, e.g. 2026-01-02T03:00:00Z",
  },
  tables: {
    type: "string",
    valueHint: "a,b",
    description:
      "only these tables (schema.table, or table for public); existing ones are emptied and reloaded",
  },
  force: {
    type: "boolean",
    description: "replace tables that already exist in the target (they are listed when refused)",
  },
  "skip-owners": {
    type: "boolean",
    description:
      "do not restore object owners (pg_restore --no-owner: all belongs to the connecting role)",
  },
  jobs: {
    type: "string",
    valueHint: "n",
    description: "refused above 1: see the help",
  },
} as const satisfies ArgSpecs;

export const restore = defineCommand({
  name: "restore",
  description:
    "Restore the latest (or a chosen) backup into a database, verified before it commits",
  help:
    "Restores into the database of --database-url (the TARGET). Every object is checked against the\n" +
    "manifest's SHA-256 while it streams; the transaction commits only after all of them matched, so a\n" +
    "tampered or truncated backup changes nothing. Row counts are compared with the manifest.\n" +
    "A target that already has tables is refused (exit 1, naming what would be replaced) unless --force.\n\n" +
    "Point in time: a logical backup restores the database as it was when that backup started. Real\n" +
    "point-in-time recovery needs WAL archiving (or your hosting's PITR add-on).\n\n" +
    "--jobs: pg_restore's parallel mode needs a seekable archive file and one connection per job, so it\n" +
    "can neither read a stream nor run in the single transaction that makes 'verified before commit'\n" +
    "true. Restores here are therefore one stream, one transaction.\n" +
    ENVIRONMENT,
  shared: ["stack", "database-url", "json", "quiet"],
  optionalDatabase: true,
  args: ARGS,
  // An estimated row count that drifted is reported (medium); an exact one that differs fails.
  failOn: "high",
  async run(ctx) {
    const { args } = ctx;
    if (args.jobs !== undefined && args.jobs !== "1")
      throw new UsageError(
        "--jobs is not supported for restore: pg_restore --jobs needs a seekable file and separate connections, which would give up verifying every byte before the single transaction commits",
      );
    if (args.from !== undefined && args.at !== undefined)
      throw new UsageError("pass --from or --at, not both");
    const at = args.at === undefined ? undefined : new Date(args.at);
    if (at && Number.isNaN(at.getTime()))
      throw new UsageError(
        `--at '${args.at}' is not an ISO date/time such as 2026-01-02T03:00:00Z`,
      );
    const tables = args.tables
      ?.split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    const settings = settingsFrom(ctx);
    return toResult(
      await withIo(ctx.progress, (io) =>
        restoreCommand(
          settings,
          { from: args.from, at, tables, force: args.force, noOwner: args["skip-owners"] },
          { ...io, env: ctx.env },
        ),
      ),
    );
  },
});

runAsMain(module, restore);
