/** `backup:list` — every backup folder under the prefix: complete or not, size, which is latest. */
import { listCommand } from "../infra/backups/commands";
import { defineCommand } from "./lib/command";
import { ENVIRONMENT, LOCATION_ARGS, settingsFrom, toResult } from "./lib/backup-cli";
import { runAsMain } from "./lib/main";

export const backupList = defineCommand({
  name: "backup:list",
  description: "List the backups under the prefix (complete or not, size, latest)",
  help: ENVIRONMENT,
  shared: ["stack", "json", "quiet"],
  args: LOCATION_ARGS,
  async run(ctx) {
    return toResult(await listCommand(settingsFrom(ctx)));
  },
});

runAsMain(module, backupList);
