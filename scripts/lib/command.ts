/**
 * What a runbook command is: a name (the runbook's, e.g. `db:status`), a
 * description, typed flags, the shared flags it takes, and a `run` that calls
 * `infra/` and returns findings. Everything else — parsing, --help, reading
 * the stack, validating the connection string, rendering, redaction and the
 * exit code — is the runner's (./runner.ts), the same for every command.
 */
import type { StackFileConfig } from "../../infra/config/stack-file";
import type { Finding, FindingSeverity } from "../../infra/lib/findings";
import type { PostgresConnection } from "../../infra/postgres/connection";
import type { Progress } from "./progress";

/** Wrong command-line usage: printed with the usage, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

interface ArgBase {
  description: string;
  /** A one-letter alias, e.g. `s` for `-s`. */
  alias?: string;
}

export type ArgSpec =
  | (ArgBase & { type: "boolean" })
  | (ArgBase & { type: "string"; valueHint?: string; default?: string })
  | (ArgBase & {
      type: "number";
      valueHint?: string;
      default: number;
      min: number;
      max: number;
      /** Whole numbers only (counts, milliseconds). */
      integer?: boolean;
    });

export type ArgSpecs = Record<string, ArgSpec>;

/** The parsed value of each flag, typed by its spec. */
export type ArgValues<A extends ArgSpecs> = {
  [K in keyof A]: A[K] extends { type: "boolean" }
    ? boolean
    : A[K] extends { type: "number" }
      ? number
      : A[K] extends { default: string }
        ? string
        : string | undefined;
};

/** Flags several commands take; a command lists the ones it takes in `shared`. */
export const SHARED_ARGS = {
  stack: {
    type: "string",
    alias: "s",
    valueHint: "name",
    description: "use the settings of stacks/Pulumi.<name>.yaml",
  },
  "database-url": {
    type: "string",
    valueHint: "url",
    description:
      "Postgres connection string (default: $DATABASE_URL, which is better: a flag shows in ps and shell history)",
  },
  json: { type: "boolean", description: "print one JSON document on stdout, nothing else" },
  quiet: { type: "boolean", alias: "q", description: "print only problems and the verdict" },
} as const satisfies ArgSpecs;

export type SharedArg = keyof typeof SHARED_ARGS;

/** What a command's `run` is given. */
export interface CommandContext<A extends ArgSpecs, D> {
  args: ArgValues<A>;
  /** The `--stack` settings, validated; undefined without `--stack`. */
  stack?: StackFileConfig;
  /** The validated connection; only for commands that take `--database-url` (throws otherwise). */
  readonly database: PostgresConnection;
  /** The connection when one was given; for commands whose database is optional. */
  databaseIfGiven?: PostgresConnection;
  env: NodeJS.ProcessEnv;
  /** Repository root: where stacks/ and .local/ are read. */
  root: string;
  /** Stand-ins for the outside world (fetch, sleep, thresholds), for tests. */
  deps: Partial<D>;
  /** The process exits after this command (RunIo.ownsProcess). */
  ownsProcess: boolean;
  progress: Progress;
  /** Values that must never be printed (a credential found in a flag): masked in every output. */
  redactAlso(...values: (string | undefined)[]): void;
  /** Text with every known credential masked, for what the command writes itself (a file). */
  redact(text: string): string;
  now(): number;
}

export interface CommandResult<R = unknown> {
  findings: Finding[];
  /** The command's own report (snapshot, matrix, attempts): `report` in the --json envelope. */
  report?: R;
  /** Human output above the findings (a header, a table); not printed with --quiet. */
  text?: string[];
  /** Lines after the findings, before the verdict (e.g. where to run the fixes). */
  notes?: string[];
}

export interface CommandDefinition<A extends ArgSpecs = ArgSpecs, D = unknown, R = unknown> {
  /** The runbook's name, e.g. `db:status`: also the npm script and the `runbooks` subcommand. */
  name: string;
  /** One line, for `runbooks --help`. */
  description: string;
  /** What it does in more words, and anything to know before running it; shown by --help. */
  help?: string;
  shared: readonly SharedArg[];
  /**
   * With `database-url` shared: run without a database when none is given
   * (its checks report "could not check") instead of refusing to start.
   */
  optionalDatabase?: boolean;
  args?: A;
  /** The level from which a finding fails the command (exit 1); default `medium`. */
  failOn?: FindingSeverity | ((args: ArgValues<A>) => FindingSeverity);
  run(ctx: CommandContext<A, D>): Promise<CommandResult<R>>;
  /** Always called after `run` (close pools). */
  cleanup?: () => Promise<void>;
}

/** Identity, for type inference: `export const dbStatus = defineCommand({...})`. */
export function defineCommand<
  A extends ArgSpecs = Record<never, ArgSpec>,
  D = unknown,
  R = unknown,
>(definition: CommandDefinition<A, D, R>): CommandDefinition<A, D, R> {
  return definition;
}

/** Any command, for registries and the runner. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = CommandDefinition<any, any, any>;
