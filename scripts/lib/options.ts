/**
 * Flags several commands share beyond the runner's: numbers (`--attempts 3`,
 * `--long 300`) and identifier lists (`--schemas a,b`), validated with a
 * message that names the flag and what it accepts.
 */

import { PLAIN_IDENTIFIER } from "../../infra/postgres/identifiers";
import { UsageError } from "./command";

export interface NumberOptionSpec {
  /** Flag name without `--`, for the message. */
  flag: string;
  default: number;
  min: number;
  max: number;
  /** Whole numbers only (counts, milliseconds). */
  integer?: boolean;
}

/** The flag's value, or a message saying what is wrong with it. */
export function parseNumberOption(
  raw: string | true | undefined,
  spec: NumberOptionSpec,
): { value: number } | { problem: string } {
  if (raw === undefined) return { value: spec.default };
  const what = spec.integer ? "a whole number" : "a number";
  const range = `from ${spec.min} to ${spec.max}`;
  const value = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
  if (!Number.isFinite(value) || (spec.integer && !Number.isInteger(value)))
    return { problem: `--${spec.flag} must be ${what} ${range}, got '${String(raw)}'` };
  if (value < spec.min || value > spec.max)
    return { problem: `--${spec.flag} must be ${range}, got ${value}` };
  return { value };
}

/** `a,b` → ['a','b'] for a list of Postgres identifiers; a message when one is not an identifier. */
export function parseIdentifierList(
  raw: string,
  flag: string,
): { value: string[] } | { problem: string } {
  const names = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (names.length === 0) return { problem: `--${flag} needs at least one name` };
  const bad = names.find((n) => !PLAIN_IDENTIFIER.test(n));
  if (bad !== undefined)
    return {
      problem: `--${flag}: '${bad}' is not a lower-case Postgres identifier (letters, digits, '_')`,
    };
  return { value: [...new Set(names)] };
}

/** The `--schemas a,b` flag, for every command that takes one. */
export const SCHEMAS_ARG = {
  type: "string",
  valueHint: "a,b",
  description: "schemas to check (comma-separated)",
} as const;

/** `--schemas` parsed, or undefined when not given; a bad name is a usage error naming the flag. */
export function schemasOption(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const parsed = parseIdentifierList(raw, "schemas");
  if ("problem" in parsed) throw new UsageError(parsed.problem);
  return parsed.value;
}
