/**
 * `backup:status` — the age of the latest good backup against the stack's
 * maxAgeHours (exit 1 past it, or with none).
 */
import { statusCommand } from "../infra/backups/commands";
import { defineCommand } from "./lib/command";
import { ENVIRONMENT, LOCATION_ARGS, settingsFrom, toResult } from "./lib/backup-cli";
import { runAsMain } from "./lib/main";

export const backupStatus = defineCommand({
  name: "backup:status",
  description: "Age of the latest verified backup; exit 1 past the stack's backup.maxAgeHours",
  help: ENVIRONMENT,
  shared: ["stack", "json", "quiet"],
  args: LOCATION_ARGS,
  // A stale or missing backup is high or critical; anything but info is a problem here.
  failOn: "low",
  async run(ctx) {
    return toResult(await statusCommand(settingsFrom(ctx), { clock: () => new Date(ctx.now()) }));
  },
});

runAsMain(module, backupStatus);
