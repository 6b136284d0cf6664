/**
 * SQL text for RLS changes. Pure string building: identifiers are always
 * quoted, expressions are inserted only after `checkExpression` proved each is
 * one balanced expression, and role `public` is the keyword, not an identifier.
 */
import { qualifiedTable, quoteIdent } from "../postgres/identifiers";
import type { PolicySpec, RlsCommand } from "./model";

// Identifiers are quoted in one place; re-exported for the RLS modules that build SQL.
export { qualifiedTable, quoteIdent };

/** A role list for `TO …`: `public` is the keyword every role belongs to. */
export function roleList(roles: readonly string[]): string {
  if (roles.length === 0) throw new Error("a policy needs at least one role");
  return roles.map((r) => (r === "public" ? "PUBLIC" : quoteIdent(r))).join(", ");
}

/**
 * An expression inside its parentheses. One that ends in a `--` comment (as
 * one copied from a migration may) gets a newline, or the comment would
 * swallow the closing parenthesis.
 */
function clause(expression: string): string {
  return /--[^\n]*$/.test(expression) ? `${expression}\n` : expression;
}

export function createPolicySql(t: { schema: string; table: string }, p: PolicySpec): string {
  const parts = [
    `CREATE POLICY ${quoteIdent(p.name)} ON ${qualifiedTable(t)}`,
    `AS ${p.mode}`,
    `FOR ${p.command}`,
    `TO ${roleList(p.roles)}`,
  ];
  if (p.using !== null) parts.push(`USING (${clause(p.using)})`);
  if (p.withCheck !== null) parts.push(`WITH CHECK (${clause(p.withCheck)})`);
  return parts.join(" ");
}

export function dropPolicySql(t: { schema: string; table: string }, name: string): string {
  return `DROP POLICY ${quoteIdent(name)} ON ${qualifiedTable(t)}`;
}

/** In-place change of roles, USING and/or WITH CHECK (command and mode cannot change in place). */
export function alterPolicySql(
  t: { schema: string; table: string },
  name: string,
  change: { roles?: readonly string[]; using?: string; withCheck?: string },
): string {
  const parts = [`ALTER POLICY ${quoteIdent(name)} ON ${qualifiedTable(t)}`];
  if (change.roles) parts.push(`TO ${roleList(change.roles)}`);
  if (change.using !== undefined) parts.push(`USING (${clause(change.using)})`);
  if (change.withCheck !== undefined) parts.push(`WITH CHECK (${clause(change.withCheck)})`);
  if (parts.length === 1) throw new Error(`ALTER POLICY ${name}: nothing to change`);
  return parts.join(" ");
}

export function renamePolicySql(
  t: { schema: string; table: string },
  from: string,
  to: string,
): string {
  return `ALTER POLICY ${quoteIdent(from)} ON ${qualifiedTable(t)} RENAME TO ${quoteIdent(to)}`;
}

export function rowSecuritySql(t: { schema: string; table: string }, enabled: boolean): string {
  return `ALTER TABLE ${qualifiedTable(t)} ${enabled ? "ENABLE" : "DISABLE"} ROW LEVEL SECURITY`;
}

export function forceRowSecuritySql(t: { schema: string; table: string }, force: boolean): string {
  return `ALTER TABLE ${qualifiedTable(t)} ${force ? "FORCE" : "NO FORCE"} ROW LEVEL SECURITY`;
}

export function lockTableSql(t: { schema: string; table: string }): string {
  return `LOCK TABLE ONLY ${qualifiedTable(t)} IN ACCESS EXCLUSIVE MODE`;
}

/** `SET LOCAL lock_timeout`, in milliseconds so fractional seconds survive. */
export function lockTimeoutSql(seconds: number): string {
  const ms = Math.max(1, Math.round(seconds * 1000));
  return `SET LOCAL lock_timeout = '${ms}ms'`;
}

/** pg_policy.polcmd letters. */
export const COMMAND_BY_POLCMD: Record<string, RlsCommand> = {
  "*": "ALL",
  r: "SELECT",
  a: "INSERT",
  w: "UPDATE",
  d: "DELETE",
};

/** Which clauses Postgres allows per command. */
export function allowedClauses(command: RlsCommand): { using: boolean; withCheck: boolean } {
  switch (command) {
    case "SELECT":
    case "DELETE":
      return { using: true, withCheck: false };
    case "INSERT":
      return { using: false, withCheck: true };
    default:
      return { using: true, withCheck: true };
  }
}
