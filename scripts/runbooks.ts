/**
 * The dispatcher behind `runbooks <command>` and every `npm run <command>`:
 * one registry of the runbook's commands, each run by the same runner.
 */
import { stripVTControlCharacters } from "node:util";
import { renderUsage } from "citty";
import { EXIT_COULD_NOT_CHECK, type ExitCode } from "../infra/lib/findings-render";
import { backup, dbBackup } from "./backup";
import { backupList } from "./backup-list";
import { backupPrune } from "./backup-prune";
import { backupStatus } from "./backup-status";
import { backupVerify } from "./backup-verify";
import { costGuard } from "./cost-guard";
import { dbDeploy } from "./db-deploy";
import { dbPerformance } from "./db-performance";
import { dbStatus } from "./db-status";
import { healthCheck } from "./health-check";
import { incident } from "./incident";
import type { AnyCommand } from "./lib/command";
import { runCommand, type RunIo } from "./lib/runner";
import { policyReview } from "./policy-review";
import { restore } from "./restore";
import { rlsDrift } from "./rls-drift";
import { rlsImport } from "./rls-import";
import { rlsLint } from "./rls-lint";
import { rollback } from "./rollback";
import { rlsSmoke } from "./rls-smoke";
import { rotate } from "./rotate";
import { rotateAudit } from "./rotate-audit";
import { secretsHook } from "./secrets-hook";
import { secretsScan } from "./secrets-scan";

/** In the order the runbook reaches for them. */
export const COMMANDS: readonly AnyCommand[] = [
  incident,
  healthCheck,
  dbStatus,
  dbPerformance,
  rlsLint,
  rlsSmoke,
  rlsDrift,
  rlsImport,
  backupStatus,
  backupList,
  backup,
  dbBackup,
  backupVerify,
  restore,
  backupPrune,
  costGuard,
  secretsScan,
  rollback,
  dbDeploy,
  secretsHook,
  policyReview,
  rotate,
  rotateAudit,
];

/** `runbooks --help`: every command with its one-line description. */
export async function commandList(options: { color?: boolean } = {}): Promise<string> {
  const text = await renderUsage({
    meta: {
      name: "runbooks",
      description:
        "The incident-response runbook's commands (exit 0 ok, 1 problem found, 2 could not check)",
    },
    subCommands: Object.fromEntries(
      COMMANDS.map((c) => [c.name, { meta: { name: c.name, description: c.description } }]),
    ),
  });
  const usage = `${text.trimEnd()}\n\nEach also runs as: npm run <command> -- [OPTIONS]`;
  return (options.color ? usage : stripVTControlCharacters(usage)).replace(/[ \t]+$/gm, "");
}

/** Run `argv[0]` with the rest of argv; the exit code is returned, never applied. */
export async function dispatch<D>(
  argv: readonly string[],
  io: Partial<RunIo<D>> = {},
): Promise<ExitCode> {
  const stdout = io.stdout ?? ((t: string) => void process.stdout.write(`${t}\n`));
  const stderr = io.stderr ?? ((t: string) => void process.stderr.write(`${t}\n`));
  const [name, ...rest] = argv;
  if (name === "--help" || name === "-h") {
    stdout(await commandList({ color: io.isTTY }));
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const problem = name === undefined ? "no command given" : `unknown command '${name}'`;
    stderr(`error: ${problem}\n\n${await commandList()}`);
    return EXIT_COULD_NOT_CHECK;
  }
  return runCommand(command, { ...io, argv: rest, stdout, stderr });
}

/** The process entry (scripts/bin/runbooks.js). */
export function main(argv: readonly string[]): Promise<ExitCode> {
  return dispatch(argv, {
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    stderrStream: process.stderr,
    ownsProcess: true,
  });
}
