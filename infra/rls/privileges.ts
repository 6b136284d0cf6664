/**
 * Table privileges as part of a table's RLS declaration.
 *
 * RLS filters rows; it does not govern TRUNCATE (which empties the table for
 * every tenant), TRIGGER (code that runs as the table's writer) or REFERENCES
 * (a foreign key that probes other rows). Supabase's default grants give the
 * API roles all three, so a declaration that only lists policies leaves them
 * open. Every managed table therefore also declares, per API role, exactly
 * which privileges it holds: by default SELECT, INSERT, UPDATE and DELETE for
 * the roles its policies reach and nothing for the others.
 *
 * Only direct table-level grants to the declared roles are managed. PUBLIC is
 * one of them (`public`): a grant to PUBLIC reaches every role. Column grants
 * and grants inherited through role membership are left alone.
 */
import { TABLE_PRIVILEGES } from "../config/rls";
import { qualifiedTable, quoteIdent } from "./sql";

export { TABLE_PRIVILEGES };
export type Privilege = (typeof TABLE_PRIVILEGES)[number];

/** Privileges RLS does not govern: holding one bypasses the policies. */
export const RLS_BYPASSING_PRIVILEGES: readonly Privilege[] = ["TRUNCATE", "REFERENCES", "TRIGGER"];

/** What RLS governs: the default for a role the policies reach. */
export const ROW_PRIVILEGES: readonly Privilege[] = ["SELECT", "INSERT", "UPDATE", "DELETE"];

/** Grantee → privileges, grantees and privileges in canonical order. */
export type PrivilegeMap = Record<string, Privilege[]>;

// Array.prototype.sort() compares UTF-16 code units: locale-independent, as state needs.
const ORDER = new Map(TABLE_PRIVILEGES.map((p, i) => [p, i]));

/** Privileges de-duplicated, in Postgres' own order (SELECT, INSERT, …). */
export function sortPrivileges(list: readonly string[]): Privilege[] {
  return [...new Set(list)]
    .filter((p): p is Privilege => ORDER.has(p as Privilege))
    .sort((a, b) => ORDER.get(a)! - ORDER.get(b)!);
}

/** The same map with sorted keys and values, so state and diffs are stable. */
export function canonicalPrivileges(
  map: Readonly<Record<string, readonly string[]>>,
): PrivilegeMap {
  return Object.fromEntries(
    Object.keys(map)
      .sort()
      .map((role) => [role, sortPrivileges(map[role]!)]),
  );
}

/** The roles whose privileges a declaration manages: the API roles and PUBLIC. */
export function managedGrantees(appRole: string): string[] {
  return [...new Set(["anon", "authenticated", appRole, "public"])].sort();
}

/**
 * The declared privileges: row privileges for every managed role that a
 * policy reaches (`public` in a policy reaches them all), nothing for the
 * others, then the explicit `overrides` per role.
 */
export function declaredPrivileges(
  policyRoles: readonly string[],
  appRole: string,
  overrides: Readonly<Record<string, readonly string[]>> = {},
): PrivilegeMap {
  const reached = new Set(policyRoles);
  const out: Record<string, readonly string[]> = {};
  for (const role of managedGrantees(appRole)) {
    const named = role !== "public" && (reached.has(role) || reached.has("public"));
    out[role] = named ? ROW_PRIVILEGES : [];
  }
  for (const [role, privileges] of Object.entries(overrides)) out[role] = privileges;
  return canonicalPrivileges(out);
}

/** One GRANT or REVOKE that brings a grantee to its declared privileges. */
export interface PrivilegeChange {
  kind: "grant" | "revoke";
  role: string;
  privileges: Privilege[];
}

/**
 * The grants and revokes from `live` (direct grants, by grantee) to
 * `declared`, for the declared grantees only. A role that does not exist
 * (`existing` says so) can hold nothing, so declaring nothing for it is
 * already true; declaring something for it is a check error before this.
 */
export function planPrivileges(
  declared: PrivilegeMap,
  live: Readonly<Record<string, readonly string[]>>,
): PrivilegeChange[] {
  const out: PrivilegeChange[] = [];
  for (const role of Object.keys(declared).sort()) {
    const want = new Set(declared[role]);
    const have = new Set(live[role] ?? []);
    const revoke = sortPrivileges([...have].filter((p) => !want.has(p as Privilege)));
    const grant = sortPrivileges([...want].filter((p) => !have.has(p)));
    if (revoke.length > 0) out.push({ kind: "revoke", role, privileges: revoke });
    if (grant.length > 0) out.push({ kind: "grant", role, privileges: grant });
  }
  return out;
}

/** One sentence per grantee whose live privileges differ from `expected`, for drift. */
export function describePrivilegeDrift(
  expected: Readonly<Record<string, readonly string[]>>,
  live: Readonly<Record<string, readonly string[]>>,
  roles: readonly string[],
): string[] {
  const out: string[] = [];
  for (const role of [...roles].sort()) {
    const want = new Set(expected[role] ?? []);
    const have = new Set(live[role] ?? []);
    const granted = sortPrivileges([...have].filter((p) => !want.has(p)));
    const revoked = sortPrivileges([...want].filter((p) => !have.has(p)));
    if (granted.length > 0) out.push(`${granted.join(", ")} was granted to ${role} out of band`);
    if (revoked.length > 0) out.push(`${revoked.join(", ")} was revoked from ${role} out of band`);
  }
  return out;
}

function grantee(role: string): string {
  return role === "public" ? "PUBLIC" : quoteIdent(role);
}

export function privilegeChangeSql(
  t: { schema: string; table: string },
  change: PrivilegeChange,
): string {
  const list = change.privileges.join(", ");
  return change.kind === "grant"
    ? `GRANT ${list} ON TABLE ${qualifiedTable(t)} TO ${grantee(change.role)}`
    : `REVOKE ${list} ON TABLE ${qualifiedTable(t)} FROM ${grantee(change.role)}`;
}
