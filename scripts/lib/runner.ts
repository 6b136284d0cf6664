/**
 * The one runner every runbook command goes through: parse → run → render →
 * exit code. It never exits the process and never touches `process` unless
 * told to, so tests run a command in-process with their own argv, env,
 * writers and clock, exactly as `runbooks <command>` and `npm run <command>`
 * run it.
 *
 * - Exit 0 nothing at or above the command's failing level, 1 a problem at or
 *   above it, 2 could not check: bad input, a missing stack, an invalid
 *   connection string, an unreachable server, any error.
 * - Output is human text, or with --json one envelope
 *   `{command, ok, exitCode, summary, findings, report?, error?}`.
 * - Everything printed, to either stream and in either form, goes through
 *   the one redaction function with every credential the command was given.
 * - An error is one block: what went wrong (and the usage, for a usage
 *   error), never a stack trace.
 */
import { ConfigError } from "../../infra/config/index";
import { readStackConfig, type StackFileConfig } from "../../infra/config/stack-file";
import type { Finding, FindingSeverity } from "../../infra/lib/findings";
import {
  DEFAULT_FAIL_ON,
  EXIT_COULD_NOT_CHECK,
  exitCodeFor,
  renderFindings,
  renderVerdict,
  sortFindings,
  summarize,
  type ExitCode,
  type FindingSummary,
} from "../../infra/lib/findings-render";
import { REPO_ROOT } from "../../infra/lib/paths";
import { readLocalServices } from "../../infra/local/endpoints";
import { redactSecrets } from "../../infra/lib/redact";
import {
  ConnectionStringError,
  parseConnectionString,
  type PostgresConnection,
} from "../../infra/postgres/connection";
import { checkArgv, parseArgv, usageOf, wantsHelp, type ParsedArgv } from "./args";
import { UsageError, type AnyCommand, type CommandContext, type CommandResult } from "./command";
import { createProgress } from "./progress";

/** The --json document of every command. */
export interface Envelope<R = unknown> {
  command: string;
  ok: boolean;
  exitCode: ExitCode;
  summary: FindingSummary;
  findings: Finding[];
  report?: R;
  error?: string;
}

export interface RunIo<D = unknown> {
  /** The command's arguments (without the command name). */
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Receives one block of text at a time, without a trailing newline. */
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stdout is a terminal: colours in --help. */
  isTTY: boolean;
  /** Where a live progress bar is drawn, when it is a terminal (otherwise progress is plain lines on stderr). */
  stderrStream?: NodeJS.WritableStream & { isTTY?: boolean };
  now: () => number;
  /** Repository root: where stacks/ and .local/ are read. */
  root: string;
  deps: Partial<D>;
  /**
   * This run is its process's whole job (the CLI's entry), so a command may change what lasts
   * for the process, such as its CPU priority. False in-process (tests, other commands).
   */
  ownsProcess?: boolean;
}

/** A value nested anywhere in `value`, with every string redacted (before JSON.stringify, so escaping cannot hide one). */
function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === "string") return redactSecrets(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets)) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, redactDeep(v, secrets)]),
    ) as T;
  }
  return value;
}

function failLevel(command: AnyCommand, args: ParsedArgv): FindingSeverity {
  if (typeof command.failOn === "function") return command.failOn(args);
  return command.failOn ?? DEFAULT_FAIL_ON;
}

function connectionFor(
  command: AnyCommand,
  args: ParsedArgv,
  env: NodeJS.ProcessEnv,
  stack: StackFileConfig | undefined,
  root: string,
  keep: (...values: (string | undefined)[]) => void,
): PostgresConnection | undefined {
  if (!command.shared.includes("database-url")) return undefined;
  const fromFlag = args["database-url"] as string | undefined;
  const configKey = stack?.config.database.urlSecretRef ?? "databaseUrl";
  let raw = fromFlag ?? env.DATABASE_URL;
  let from = fromFlag !== undefined ? "--database-url" : "DATABASE_URL";
  if (!raw && stack?.context.stack === "local") {
    // The local stack's database is generated per machine: `npm run local` recorded it.
    raw = readLocalServices(root)?.postgres?.databaseUrl;
    from = "the local Postgres in .local/services.json";
    keep(raw);
  }
  if (!raw && command.optionalDatabase) return undefined;
  if (!raw) {
    const example = stack
      ? `DATABASE_URL="$(pulumi config get ${configKey} -s ${stack.context.stack})"`
      : `DATABASE_URL="$(pulumi config get ${configKey} -s <stack>)"`;
    throw new UsageError(
      `no database to check: pass --database-url postgres://… or set DATABASE_URL (for a stack: ${example})`,
    );
  }
  return parseConnectionString(raw, {
    from,
    stack: stack?.context.stack,
    configKey: stack ? configKey : undefined,
  });
}

/** Bad input explains itself; anything else is prefixed with what it means: the check did not run. */
function errorBlock(error: unknown, message: string, usage: string | undefined): string {
  if (error instanceof UsageError) return `error: ${message}${usage ? `\n\n${usage}` : ""}`;
  if (error instanceof ConfigError || error instanceof ConnectionStringError)
    return `error: ${message}`;
  return `error: could not check: ${message}`;
}

/** The human form of a result: the command's text, the findings, notes and the verdict. */
export function renderHuman(
  result: CommandResult,
  failOn: FindingSeverity = DEFAULT_FAIL_ON,
  quiet = false,
): string {
  const lines: string[] = [];
  if (!quiet && result.text?.length) lines.push(...result.text, "");
  const block = renderFindings(result.findings, { failOn, quiet });
  if (block.length > 0) lines.push(...block);
  else if (!quiet) lines.push("No findings.");
  if (result.notes?.length) lines.push(...result.notes);
  lines.push(renderVerdict(result.findings, failOn));
  return lines.join("\n");
}

/** Run one command to completion and return its exit code; nothing here exits the process. */
export async function runCommand<D>(
  command: AnyCommand,
  io: Partial<RunIo<D>> = {},
): Promise<ExitCode> {
  const argv = io.argv ?? [];
  const env = io.env ?? {};
  const stdout = io.stdout ?? ((t: string) => void process.stdout.write(`${t}\n`));
  const stderr = io.stderr ?? ((t: string) => void process.stderr.write(`${t}\n`));
  const isTTY = io.isTTY ?? false;
  const now = io.now ?? Date.now;
  const json = command.shared.includes("json") && argv.includes("--json");
  const secrets = new Set<string>();
  const keep = (...values: (string | undefined)[]) => {
    for (const v of values) if (v) secrets.add(v);
  };
  keep(env.DATABASE_URL);
  argv.forEach((arg, i) => {
    if (arg === "--database-url") keep(argv[i + 1]);
    else if (arg.startsWith("--database-url=")) keep(arg.slice("--database-url=".length));
  });
  const out = (text: string) => stdout(redactSecrets(text, [...secrets]));
  const err = (text: string) => stderr(redactSecrets(text, [...secrets]));

  let usage: string | undefined;
  try {
    if (wantsHelp(argv)) {
      out(await usageOf(command, { color: isTTY }));
      return 0;
    }
    checkArgv(argv, command);
    const args = parseArgv(argv, command);
    const stackName = args.stack as string | undefined;
    const stack = stackName ? readStackConfig({ stack: stackName, root: io.root }) : undefined;
    const root = io.root ?? REPO_ROOT;
    const database = connectionFor(command, args, env, stack, root, keep);
    const ctx: CommandContext<never, D> = {
      args: args as never,
      stack,
      get database(): PostgresConnection {
        if (!database) throw new Error(`${command.name} does not take a database`);
        return database;
      },
      ...(database ? { databaseIfGiven: database } : {}),
      env,
      root,
      deps: io.deps ?? {},
      ownsProcess: io.ownsProcess === true,
      progress: createProgress({
        mode: json ? "silent" : io.stderrStream?.isTTY ? "tty" : "lines",
        write: err,
        stream: io.stderrStream,
        now,
      }),
      redactAlso: keep,
      redact: (text: string) => redactSecrets(text, [...secrets]),
      now,
    };
    let result: CommandResult;
    try {
      result = await command.run(ctx);
    } finally {
      await command.cleanup?.();
    }
    const failOn = failLevel(command, args);
    const exitCode = exitCodeFor(result.findings, failOn);
    if (json) {
      const envelope: Envelope = {
        command: command.name,
        ok: exitCode === 0,
        exitCode,
        summary: summarize(result.findings),
        findings: sortFindings(result.findings),
        ...(result.report === undefined ? {} : { report: result.report }),
      };
      stdout(JSON.stringify(redactDeep(envelope, [...secrets]), null, 2));
    } else {
      out(renderHuman(result, failOn, args.quiet === true));
    }
    return exitCode;
  } catch (error) {
    const message = redactSecrets(error instanceof Error ? error.message : String(error), [
      ...secrets,
    ]);
    if (error instanceof UsageError) usage = await usageOf(command, { color: false });
    if (json) {
      const envelope: Envelope = {
        command: command.name,
        ok: false,
        exitCode: EXIT_COULD_NOT_CHECK,
        summary: summarize([]),
        findings: [],
        error: message,
      };
      stdout(JSON.stringify(redactDeep(envelope, [...secrets]), null, 2));
    }
    err(errorBlock(error, message, usage));
    return EXIT_COULD_NOT_CHECK;
  }
}
