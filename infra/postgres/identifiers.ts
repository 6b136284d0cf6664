/**
 * Postgres identifiers and literals: the one place that decides what a name
 * may be and how it is quoted, for config validation, the RLS provider, the
 * commands' `--schemas`/`--tables` flags and every SQL string we build.
 */

/**
 * A name Postgres stores as written without quotes: lower-case, at most 63
 * bytes. Config and flags require this form, so what a user types is what the
 * catalog shows and what the next diff compares.
 */
export const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_$]{0,62}$/;

/** What to tell a user whose name is not a plain identifier. */
export const PLAIN_IDENTIFIER_RULE =
  "must be a lower-case Postgres identifier of at most 63 characters (letters, digits, '_')";

/** Postgres truncates longer names silently, which would make a diff never converge. */
export const MAX_IDENTIFIER_BYTES = 63;

/** The name Postgres stores for `name`: at most 63 bytes, cut at a character boundary. */
export function truncatedIdentifier(name: string): string {
  let out = "";
  for (const ch of name) {
    if (Buffer.byteLength(out + ch, "utf8") > MAX_IDENTIFIER_BYTES) break;
    out += ch;
  }
  return out;
}

/** Is `name` a valid unquoted-or-quoted identifier we accept (≤ 63 bytes, printable)? */
export function identifierProblem(name: string): string | undefined {
  if (name.length === 0) return "is empty";
  if (Buffer.byteLength(name, "utf8") > MAX_IDENTIFIER_BYTES)
    return (
      `is longer than 63 bytes: Postgres would store it as '${truncatedIdentifier(name)}', ` +
      "and the next diff would never converge; use a name of at most 63 bytes"
    );
  if ([...name].some((ch) => ch.charCodeAt(0) < 0x20)) return "contains a control character";
  return undefined;
}

/** A quoted identifier: `"tenant_isolation_select"`. */
export function quoteIdent(name: string): string {
  if (name.length === 0) throw new Error("an identifier cannot be empty");
  if (name.includes("\u0000")) throw new Error("an identifier cannot contain a NUL character");
  return `"${name.replace(/"/g, '""')}"`;
}

/** An identifier as Postgres would print it: bare when that reads back the same, else quoted. */
export function displayIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : quoteIdent(name);
}

/** `"schema"."table"`. */
export function qualifiedTable(t: { schema: string; table: string }): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
}

/**
 * A SQL string literal. With a backslash present it uses the E'' form, which
 * means the same whatever the server's standard_conforming_strings says.
 */
export function quoteLiteral(value: string): string {
  const quoted = value.replace(/'/g, "''");
  return value.includes("\\") ? `E'${quoted.replace(/\\/g, "\\\\")}'` : `'${quoted}'`;
}
