/**
 * `npm run backup:list` — every backup folder under the prefix (all pages),
 * complete or not, and which one latest.json points to.
 */
import { listCommand } from "../infra/backups/commands";
import { run, type ExitCode } from "./lib/cli";
import { ENVIRONMENT, LOCATION_OPTIONS, print, settingsFrom } from "./lib/backup-cli";

const USAGE = `Usage: npm run backup:list -- [options]

Options:
${LOCATION_OPTIONS}
  --json                  print the report as JSON
  --help                  this text

${ENVIRONMENT}

Exit codes: 0 listed, 2 could not list.`;

void run(async (flags): Promise<ExitCode> => print(flags, await listCommand(settingsFrom(flags))), {
  usage: USAGE,
});
