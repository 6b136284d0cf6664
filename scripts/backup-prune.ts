/**
 * `backup:prune` — grandfather-father-son retention: keeps the newest backup
 * of each of the last N days, M weeks and K months, never the newest backup,
 * never on a partial listing, never against Object Lock.
 */
import { pruneCommand } from "../infra/backups/commands";
import { defineCommand, UsageError, type ArgSpecs } from "./lib/command";
import { ENVIRONMENT, LOCATION_ARGS, settingsFrom, toResult } from "./lib/backup-cli";
import { runAsMain } from "./lib/main";

const ARGS = {
  ...LOCATION_ARGS,
  "dry-run": { type: "boolean", description: "print what would be deleted, delete nothing" },
  yes: {
    type: "boolean",
    description: "confirm the deletion (required unless --dry-run, which shows what would go)",
  },
} as const satisfies ArgSpecs;

export const backupPrune = defineCommand({
  name: "backup:prune",
  description:
    "Apply the GFS retention (daily, weekly, monthly); never the newest, never on a partial listing",
  help:
    "Applies runbooks:backup.retention (daily, weekly, monthly counts). Lists every page first and\n" +
    "deletes nothing if any page fails. Objects under Object Lock are kept and reported. Deleting\n" +
    "needs --yes (or --dry-run to see what would go); the credentials need s3:DeleteObject under the\n" +
    "prefix (the workflow's backup role has none, on purpose).\n" +
    ENVIRONMENT,
  shared: ["stack", "json", "quiet"],
  args: ARGS,
  async run(ctx) {
    if (!ctx.args["dry-run"] && !ctx.args.yes)
      throw new UsageError(
        "backup:prune deletes backups: run it with --dry-run to see what would be deleted, then with --yes to delete it",
      );
    return toResult(await pruneCommand(settingsFrom(ctx), { dryRun: ctx.args["dry-run"] }));
  },
});

runAsMain(module, backupPrune);
