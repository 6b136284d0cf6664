/**
 * `npm run backup:status` — the age of the latest good backup (latest.json),
 * against the stack's maxAgeHours.
 */
import { statusCommand } from "../infra/backups/commands";
import { run, type ExitCode } from "./lib/cli";
import { ENVIRONMENT, LOCATION_OPTIONS, print, settingsFrom } from "./lib/backup-cli";

const USAGE = `Usage: npm run backup:status -- [options]

Options:
${LOCATION_OPTIONS}
  --json                  print the report as JSON
  --help                  this text

${ENVIRONMENT}

Exit codes: 0 a backup newer than maxAgeHours exists, 1 it is older or missing, 2 could not check.`;

void run(
  async (flags): Promise<ExitCode> => print(flags, await statusCommand(settingsFrom(flags))),
  {
    usage: USAGE,
  },
);
