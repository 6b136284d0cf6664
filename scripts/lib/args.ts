/**
 * Flags: checked strictly, parsed by citty, numbers validated, and the usage
 * text generated from the same definitions so the help and the parser cannot
 * disagree.
 *
 * citty accepts any flag it is given (an unknown one becomes `true`), which
 * is how `health:check --database-url x` used to exit 0 having ignored it.
 * So every token is checked against the command's own definitions first.
 */
import { stripVTControlCharacters } from "node:util";
import { parseArgs, renderUsage, type ArgsDef } from "citty";
import { DEFAULT_FAIL_ON } from "../../infra/lib/findings-render";
import type { FindingSeverity } from "../../infra/lib/findings";
import { SHARED_ARGS, UsageError, type AnyCommand, type ArgSpec, type ArgSpecs } from "./command";
import { parseNumberOption } from "./options";

const HELP: ArgSpec = { type: "boolean", alias: "h", description: "show this help" };

/** Every flag a command takes: the shared ones it declares, its own, and --help. */
export function specsOf(command: AnyCommand): ArgSpecs {
  const shared = Object.fromEntries(command.shared.map((name) => [name, SHARED_ARGS[name]]));
  return { ...shared, ...(command.args as ArgSpecs | undefined), help: HELP };
}

function toCitty(specs: ArgSpecs): ArgsDef {
  const out: ArgsDef = {};
  for (const [name, spec] of Object.entries(specs)) {
    const base = { description: spec.description, alias: spec.alias };
    if (spec.type === "boolean") out[name] = { ...base, type: "boolean" };
    else
      out[name] = {
        ...base,
        type: "string",
        valueHint: spec.valueHint,
        default: spec.default === undefined ? undefined : String(spec.default),
      };
  }
  return out;
}

export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

/**
 * Refuse what the command does not take: unknown flags (naming them),
 * a shared flag this command does not declare, a value missing or given to
 * a boolean, and stray arguments.
 */
export function checkArgv(argv: readonly string[], command: AnyCommand): void {
  const specs = specsOf(command);
  const byAlias = new Map(
    Object.entries(specs).flatMap(([name, s]) => (s.alias ? [[s.alias, name] as const] : [])),
  );
  const unknown = (flag: string): never => {
    const bare = flag.replace(/^-+/, "").replace(/^no-/, "");
    if (bare in SHARED_ARGS)
      throw new UsageError(`${command.name} does not take --${bare} (unknown flag ${flag})`);
    throw new UsageError(`unknown flag ${flag}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") {
      if (i + 1 < argv.length) throw new UsageError(`unexpected argument '${argv[i + 1]}'`);
      break;
    }
    if (!token.startsWith("-") || token === "-")
      throw new UsageError(`unexpected argument '${token}' (${command.name} takes flags only)`);
    const long = token.startsWith("--");
    const eq = token.indexOf("=");
    const written = eq >= 0 ? token.slice(0, eq) : token;
    let name: string | undefined;
    if (long) {
      const bare = written.slice(2);
      if (bare in specs) name = bare;
      else if (bare.startsWith("no-") && specs[bare.slice(3)]?.type === "boolean") {
        if (eq >= 0) throw new UsageError(`${written} takes no value`);
        continue;
      }
    } else name = written.length === 2 ? byAlias.get(written.slice(1)) : undefined;
    if (name === undefined) return unknown(written);
    const spec = specs[name]!;
    const shown = long ? written : `${written} (--${name})`;
    if (spec.type === "boolean") {
      if (eq >= 0) throw new UsageError(`${shown} takes no value`);
      continue;
    }
    const value = eq >= 0 ? token.slice(eq + 1) : argv[i + 1];
    const looksLikeFlag = value !== undefined && /^-(?!\d)/.test(value) && eq < 0;
    if (value === undefined || value === "" || looksLikeFlag)
      throw new UsageError(`${shown} needs a value`);
    if (eq < 0) i++;
  }
}

/** The parsed flags, numbers checked against their bounds. Call `checkArgv` first. */
export type ParsedArgv = Record<string, string | number | boolean | undefined>;

export function parseArgv(argv: readonly string[], command: AnyCommand): ParsedArgv {
  const specs = specsOf(command);
  const raw = parseArgs([...argv], toCitty(specs)) as Record<string, unknown>;
  const values: ParsedArgv = {};
  for (const [name, spec] of Object.entries(specs)) {
    const value = raw[name];
    if (spec.type === "boolean") values[name] = value === true;
    else if (spec.type === "number") {
      const parsed = parseNumberOption(
        typeof value === "string" && value !== String(spec.default) ? value : undefined,
        { flag: name, ...spec },
      );
      if ("problem" in parsed) throw new UsageError(parsed.problem);
      values[name] = parsed.value;
    } else values[name] = typeof value === "string" && value !== "" ? value : spec.default;
  }
  return values;
}

/** The level at which a command fails with its default flags, for the help text. */
function defaultFailOn(command: AnyCommand): FindingSeverity {
  if (typeof command.failOn !== "function") return command.failOn ?? DEFAULT_FAIL_ON;
  return command.failOn(parseArgv([], command));
}

/** `--help`, generated from the definitions by citty, plus how to run it and what the exit codes mean. */
export async function usageOf(
  command: AnyCommand,
  options: { color?: boolean } = {},
): Promise<string> {
  const text = await renderUsage(
    {
      meta: { name: command.name, description: command.description },
      args: toCitty(specsOf(command)),
    },
    { meta: { name: "runbooks" } },
  );
  const level = defaultFailOn(command);
  const lines = [
    text.trimEnd(),
    "",
    ...(command.help ? [command.help.trim(), ""] : []),
    `Also: npm run ${command.name} -- [OPTIONS]`,
    `Exit codes: 0 nothing at or above ${level}, 1 a problem at or above ${level}, 2 could not check.`,
  ];
  const usage = lines.join("\n");
  return (options.color ? usage : stripVTControlCharacters(usage)).replace(/[ \t]+$/gm, "");
}
