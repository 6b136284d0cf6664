/**
 * Shared flags and exit codes for the runbook's scripts.
 *
 * Every script: `--json` (machine-readable output on stdout), `--database-url`
 * (or DATABASE_URL), `--stack <name>`, `--help`. Exit codes: 0 all good,
 * 1 a problem was found, 2 the check could not run. `run(main)` turns any
 * thrown error into exit 2 with a message that never carries a credential.
 */
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../infra/lib/paths";
import { redactSecrets } from "../../infra/lib/redact";
import { parseNumberOption, type NumberOptionSpec } from "./options";

export const EXIT_OK = 0;
export const EXIT_PROBLEM = 1;
export const EXIT_COULD_NOT_CHECK = 2;
export type ExitCode = typeof EXIT_OK | typeof EXIT_PROBLEM | typeof EXIT_COULD_NOT_CHECK;

/** Wrong command-line usage: printed with the usage text, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface CommonFlags {
  json: boolean;
  help: boolean;
  databaseUrl?: string;
  stack?: string;
  /** Script-specific flags: `--name value` / `--name=value` as strings, bare `--name` as true. */
  options: Map<string, string | true>;
  positionals: string[];
}

export interface FlagSpec {
  /** Extra flags that take a value, without `--`. */
  values?: string[];
  /** Extra boolean flags, without `--`. */
  booleans?: string[];
}

const COMMON_VALUES = ["database-url", "stack"];
const COMMON_BOOLEANS = ["json", "help"];

/** Parse argv (without node and the script path). Unknown flags are a UsageError. */
export function parseFlags(argv: readonly string[], spec: FlagSpec = {}): CommonFlags {
  const values = new Set([...COMMON_VALUES, ...(spec.values ?? [])]);
  const booleans = new Set([...COMMON_BOOLEANS, ...(spec.booleans ?? [])]);
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h") {
      options.set("help", true);
      continue;
    }
    if (arg === "-s") {
      // `-s <stack>`, as pulumi spells it.
      const value = argv[++i];
      if (value === undefined || value.startsWith("-"))
        throw new UsageError("-s needs a stack name");
      options.set("stack", value);
      continue;
    }
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq >= 0 ? eq : undefined);
    if (booleans.has(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      options.set(name, true);
    } else if (values.has(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === "" || (eq < 0 && value.startsWith("--")))
        throw new UsageError(`--${name} needs a value`);
      options.set(name, value);
    } else {
      throw new UsageError(`unknown flag --${name}`);
    }
  }
  const str = (k: string) => {
    const v = options.get(k);
    return typeof v === "string" ? v : undefined;
  };
  return {
    json: options.get("json") === true,
    help: options.get("help") === true,
    databaseUrl: str("database-url"),
    stack: str("stack"),
    options,
    positionals,
  };
}

/** A script's numeric flag, its default when absent, or a UsageError naming the bounds. */
export function numberFlag(flags: CommonFlags, spec: NumberOptionSpec): number {
  const parsed = parseNumberOption(flags.options.get(spec.flag), spec);
  if ("problem" in parsed) throw new UsageError(parsed.problem);
  return parsed.value;
}

/** The connection string from --database-url or DATABASE_URL, or a UsageError saying how to give one. */
export function requireDatabaseUrl(
  flags: CommonFlags,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const url = flags.databaseUrl ?? env.DATABASE_URL;
  if (!url) {
    throw new UsageError(
      "no database to check: pass --database-url postgres://… or set DATABASE_URL " +
        "(for a stack: DATABASE_URL=$(pulumi config get --stack <stack> databaseUrl))",
    );
  }
  return url;
}

/** Every secret-looking value we were given, to scrub from any message. */
function knownSecrets(argv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  if (env.DATABASE_URL) out.push(env.DATABASE_URL);
  argv.forEach((arg, i) => {
    if (arg.startsWith("--database-url=")) out.push(arg.slice("--database-url=".length));
    if (arg === "--database-url" && argv[i + 1]) out.push(argv[i + 1]!);
  });
  for (const url of [...out]) {
    try {
      const password = new URL(url).password;
      if (password) out.push(decodeURIComponent(password), password);
    } catch {
      // not a URL
    }
  }
  return out;
}

/** Redact every credential this process was given from a message. */
export function redact(
  message: string,
  argv: readonly string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return redactSecrets(message, knownSecrets(argv, env));
}

export interface RunOptions {
  /** Shown for --help and after a UsageError. */
  usage: string;
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Defaults to console output; tests capture it. */
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** Called with the exit code; defaults to setting process.exitCode. */
  exit?: (code: ExitCode) => void;
}

/**
 * Run a script's main. `main` returns the exit code; a thrown error is exit 2
 * ("could not check") with a redacted message — as JSON when --json was given.
 */
export async function run(
  main: (flags: CommonFlags) => Promise<ExitCode>,
  options: RunOptions,
): Promise<ExitCode> {
  const argv = options.argv ?? process.argv.slice(2);
  const env = options.env ?? process.env;
  const out = options.out ?? ((line: string) => console.log(line));
  const err = options.err ?? ((line: string) => console.error(line));
  const exit = options.exit ?? ((code: ExitCode) => void (process.exitCode = code));
  const json = argv.includes("--json");
  let code: ExitCode;
  try {
    const flags = parseFlags(argv, flagSpecOf(options.usage));
    if (flags.help) {
      out(options.usage);
      code = EXIT_OK;
    } else {
      code = await main(flags);
    }
  } catch (error) {
    const message = redact(error instanceof Error ? error.message : String(error), argv, env);
    if (json)
      out(JSON.stringify({ ok: false, exitCode: EXIT_COULD_NOT_CHECK, error: message }, null, 2));
    if (error instanceof UsageError) err(`error: ${message}\n\n${options.usage}`);
    else err(`error: could not check: ${message}`);
    code = EXIT_COULD_NOT_CHECK;
  }
  exit(code);
  return code;
}

/**
 * Script-specific flags are read from the usage text's option lines
 * (`  --name <value>` or `  --name`), so the help and the parser cannot disagree.
 */
export function flagSpecOf(usage: string): FlagSpec {
  const values: string[] = [];
  const booleans: string[] = [];
  for (const match of usage.matchAll(/^\s+--([a-z][a-z0-9-]*)(\s+<[^>]+>)?/gm)) {
    if (match[2]) values.push(match[1]!);
    else booleans.push(match[1]!);
  }
  return { values, booleans };
}

/** A stack file's `runbooks:*` keys (plain values only; secrets stay encrypted and unread). */
export function readStackFile(
  stack: string,
  root: string = REPO_ROOT,
): { path: string; raw: Record<string, unknown> } {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack))
    throw new UsageError(`--stack '${stack}' is not a stack name`);
  const relative = join("stacks", `Pulumi.${stack}.yaml`);
  const path = join(root, relative);
  if (!existsSync(path))
    throw new UsageError(
      `no stack file ${relative}; known stacks are the stacks/Pulumi.<name>.yaml files`,
    );
  const YAML = require("yaml") as typeof import("yaml");
  const doc = YAML.parse(readFileSync(path, "utf8")) as { config?: Record<string, unknown> } | null;
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc?.config ?? {})) {
    if (!key.startsWith("runbooks:")) continue;
    if (value && typeof value === "object" && "secure" in (value as object)) continue;
    raw[key.slice("runbooks:".length)] = value;
  }
  return { path: relative, raw };
}
