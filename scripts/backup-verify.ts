/**
 * `backup:verify` — the runbook's "Verify Recovery" as a drill: restore the
 * latest backup into a scratch database, compare row counts with the
 * manifest, run the RLS lints and smoke test on it, drop it, report timings.
 */
import { verifyCommand } from "../infra/backups/commands";
import { rlsForStack } from "../infra/backups/settings";
import { defineCommand, type ArgSpecs } from "./lib/command";
import { ENVIRONMENT, LOCATION_ARGS, settingsFrom, toResult, withIo } from "./lib/backup-cli";
import { runAsMain } from "./lib/main";

const ARGS = {
  ...LOCATION_ARGS,
  from: {
    type: "string",
    valueHint: "key-or-id",
    description: "a backup id or key (default: latest.json)",
  },
} as const satisfies ArgSpecs;

export const backupVerify = defineCommand({
  name: "backup:verify",
  description:
    "Restore drill: the latest backup into a scratch database, row counts and RLS checked, then dropped",
  help:
    "Restores the latest backup (or --from) into a new scratch database on the server of\n" +
    "$RUNBOOKS_SCRATCH_DATABASE_URL (default: --database-url; for -s local the local superuser), compares\n" +
    "every table's rows with the manifest, runs the RLS lints and the RLS smoke test of the stack's\n" +
    "declarations on it, and drops it again. Exit 1: the drill failed.\n" +
    ENVIRONMENT,
  shared: ["stack", "database-url", "json", "quiet"],
  optionalDatabase: true,
  args: ARGS,
  // The drill passes unless a critical or high finding says otherwise.
  failOn: "high",
  async run(ctx) {
    const settings = settingsFrom(ctx);
    const rls = rlsForStack(ctx.stack?.context.stack, ctx.root);
    return toResult(
      await withIo(ctx.progress, (io) =>
        verifyCommand(settings, { from: ctx.args.from, rls }, { ...io, env: ctx.env }),
      ),
    );
  },
});

runAsMain(module, backupVerify);
