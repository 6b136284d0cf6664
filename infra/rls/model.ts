/**
 * Row-level security as data: what a table's RLS should be, in a canonical
 * form that is compared, stored in state and turned into SQL.
 *
 * Two ways in, one shape out:
 * - TypeScript: `declareTable({ table: "agents", tenant: { column: "tenant_id" } })`
 * - stack config: `runbooks:rls.tables[]`, converted by `tableFromConfig`.
 *
 * The helpers write `auth.uid()` / `auth.jwt()` as `(select …)` so Postgres
 * evaluates them once per statement (an InitPlan) instead of once per row.
 */
import type { RlsTableConfig } from "../config/index";
import { declaredPrivileges, type Privilege, type PrivilegeMap } from "./privileges";
import { duplicates } from "../lib/unique";
import { displayIdent, quoteLiteral } from "../postgres/identifiers";

export const RLS_COMMANDS = ["ALL", "SELECT", "INSERT", "UPDATE", "DELETE"] as const;
export type RlsCommand = (typeof RLS_COMMANDS)[number];
export const RLS_MODES = ["PERMISSIVE", "RESTRICTIVE"] as const;
export type RlsMode = (typeof RLS_MODES)[number];

/** A policy in canonical form: every field present, roles sorted, absent clauses null. */
export interface PolicySpec {
  name: string;
  command: RlsCommand;
  mode: RlsMode;
  /** Sorted role names; `public` means every role. */
  roles: string[];
  /** USING expression as declared (after auth-call wrapping), or null. */
  using: string | null;
  /** WITH CHECK expression as declared, or null. */
  withCheck: string | null;
  /** The policy's previous name, to rename it in place rather than drop and create. */
  renamedFrom?: string | null;
}

/** What one table's RLS should be. The resource manages every policy on the table. */
export interface TableSpec {
  schema: string;
  table: string;
  /** ENABLE ROW LEVEL SECURITY. */
  enabled: boolean;
  /** FORCE ROW LEVEL SECURITY: the table owner is subject to the policies too. */
  force: boolean;
  /** Sorted by name. */
  policies: PolicySpec[];
  /** Set when the table is tenant-scoped: the column holding the tenant id (lints, smoke). */
  tenantColumn: string | null;
  /** JWT claim path (dot-separated) compared with `tenantColumn`. */
  tenantClaim: string | null;
  /** Set when rows belong to a user: the column compared with `auth.uid()` (lints, smoke). */
  ownerColumn: string | null;
  /** Anyone, including `anon`, may read every row. */
  publicRead: boolean;
  /**
   * Table privileges of each API role and PUBLIC, complete (see privileges.ts):
   * what the provider grants and revokes in the same transaction as the policies.
   */
  privileges: PrivilegeMap;
}

/** A policy as a person writes it; omitted fields take the documented defaults. */
export interface PolicyDeclaration {
  name: string;
  /** Default `ALL`. */
  command?: RlsCommand;
  /** Default `PERMISSIVE`. */
  mode?: RlsMode;
  /** Default `["public"]`. */
  roles?: string[];
  using?: string;
  withCheck?: string;
  /** Set when renaming, so the policy is renamed in place (`ALTER POLICY … RENAME`). */
  renamedFrom?: string;
}

/** Tenant isolation: rows whose `column` equals the caller's JWT claim. */
export interface TenantHelper {
  /** Column holding the tenant id, e.g. `tenant_id`. */
  column: string;
  /** JWT claim path, dot-separated for nested claims (`app_metadata.tenant_id`). Default `tenant_id`. */
  claim?: string;
  /** SQL type of the column, for the cast of the claim text. Default `uuid`. */
  columnType?: string;
  /** Role the policies apply to. Default: the stack's app role (`authenticated`). */
  role?: string;
}

/** Owner-only rows: rows whose `column` equals `auth.uid()`. */
export interface OwnerHelper {
  column: string;
  role?: string;
}

/** One table, as declared in TypeScript. */
export interface TableDeclaration {
  /** Default `public`. */
  schema?: string;
  table: string;
  /** Default true. */
  enabled?: boolean;
  /** Default true. */
  force?: boolean;
  tenant?: TenantHelper;
  owner?: OwnerHelper;
  /** `true`: anon and the app role may SELECT every row. */
  publicRead?: boolean;
  /** Policies in addition to the helpers'. */
  policies?: PolicyDeclaration[];
  /**
   * Table privileges per role, overriding the default: SELECT, INSERT, UPDATE,
   * DELETE for the API roles the policies reach, nothing for the others, and
   * never TRUNCATE, REFERENCES or TRIGGER.
   */
  privileges?: Partial<Record<string, Privilege[]>>;
}

export interface DeclarationDefaults {
  /** The role the app's queries run as; the helpers' policies apply to it. */
  appRole: string;
}

const DEFAULTS: DeclarationDefaults = { appRole: "authenticated" };

/** Locale-independent ordering, so state is identical on every machine. */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `(select auth.jwt()) -> 'a' ->> 'b'` for the claim path `a.b`. */
export function jwtClaimExpression(claimPath: string): string {
  const parts = claimPath.split(".").filter((p) => p.length > 0);
  if (parts.length === 0)
    throw new Error(
      `JWT claim path '${claimPath}' is empty; use e.g. 'tenant_id' or 'app_metadata.tenant_id'`,
    );
  const last = parts.pop()!;
  return `(select auth.jwt())${parts.map((p) => ` -> ${quoteLiteral(p)}`).join("")} ->> ${quoteLiteral(last)}`;
}

/** The four per-command policies that keep each tenant to its own rows. */
export function tenantIsolationPolicies(
  helper: TenantHelper,
  defaults: DeclarationDefaults = DEFAULTS,
): PolicySpec[] {
  const claim = helper.claim ?? "tenant_id";
  const type = helper.columnType ?? "uuid";
  const match = `${displayIdent(helper.column)} = (${jwtClaimExpression(claim)})::${type}`;
  return perCommandPolicies("tenant_isolation", match, helper.role ?? defaults.appRole);
}

/** The four per-command policies that keep each user to the rows they own. */
export function ownerOnlyPolicies(
  helper: OwnerHelper,
  defaults: DeclarationDefaults = DEFAULTS,
): PolicySpec[] {
  const match = `${displayIdent(helper.column)} = (select auth.uid())`;
  return perCommandPolicies("owner_only", match, helper.role ?? defaults.appRole);
}

/** Anyone may read: `anon` and the app role get SELECT on every row. */
export function publicReadPolicy(defaults: DeclarationDefaults = DEFAULTS): PolicySpec {
  return policy({
    name: "public_read",
    command: "SELECT",
    roles: ["anon", defaults.appRole],
    using: "true",
  });
}

function perCommandPolicies(prefix: string, match: string, role: string): PolicySpec[] {
  // One policy per command rather than FOR ALL: each shows up on its own in
  // pg_policies, lints can reason per command, and a read-only variant is a deletion away.
  return [
    policy({ name: `${prefix}_select`, command: "SELECT", roles: [role], using: match }),
    policy({ name: `${prefix}_insert`, command: "INSERT", roles: [role], withCheck: match }),
    policy({
      name: `${prefix}_update`,
      command: "UPDATE",
      roles: [role],
      using: match,
      withCheck: match,
    }),
    policy({ name: `${prefix}_delete`, command: "DELETE", roles: [role], using: match }),
  ];
}

/** Canonical form of one policy declaration. */
export function policy(declaration: PolicyDeclaration): PolicySpec {
  const roles = [...new Set(declaration.roles ?? ["public"])].sort();
  const spec: PolicySpec = {
    name: declaration.name,
    command: declaration.command ?? "ALL",
    mode: declaration.mode ?? "PERMISSIVE",
    roles,
    using: declaration.using ?? null,
    withCheck: declaration.withCheck ?? null,
  };
  if (declaration.renamedFrom !== undefined) spec.renamedFrom = declaration.renamedFrom;
  return spec;
}

/** Expand a TypeScript declaration (helpers included) to its canonical spec. */
export function declareTable(
  declaration: TableDeclaration,
  defaults: DeclarationDefaults = DEFAULTS,
): TableSpec {
  const policies: PolicySpec[] = [];
  if (declaration.tenant) policies.push(...tenantIsolationPolicies(declaration.tenant, defaults));
  if (declaration.owner) policies.push(...ownerOnlyPolicies(declaration.owner, defaults));
  if (declaration.publicRead) policies.push(publicReadPolicy(defaults));
  for (const p of declaration.policies ?? []) policies.push(policy(p));
  const schema = declaration.schema ?? "public";
  const twice = duplicates(policies, (p) => p.name)[0];
  if (twice) {
    throw new Error(
      `${schema}.${declaration.table}: policy '${twice.key}' is declared twice (a helper already generates it; rename your policy)`,
    );
  }
  const overrides = Object.fromEntries(
    Object.entries(declaration.privileges ?? {}).filter(
      (e): e is [string, Privilege[]] => e[1] !== undefined,
    ),
  );
  return {
    schema,
    table: declaration.table,
    enabled: declaration.enabled ?? true,
    force: declaration.force ?? true,
    policies: policies.sort((a, b) => byCodePoint(a.name, b.name)),
    privileges: declaredPrivileges(
      policies.flatMap((p) => p.roles),
      defaults.appRole,
      overrides,
    ),
    tenantColumn: declaration.tenant?.column ?? null,
    tenantClaim: declaration.tenant ? (declaration.tenant.claim ?? "tenant_id") : null,
    ownerColumn: declaration.owner?.column ?? null,
    publicRead: declaration.publicRead ?? false,
  };
}

/** Convert a validated `runbooks:rls.tables[]` entry. */
export function tableFromConfig(
  config: RlsTableConfig,
  defaults: DeclarationDefaults = DEFAULTS,
): TableSpec {
  return declareTable(
    {
      schema: config.schema,
      table: config.table,
      enabled: config.enabled,
      force: config.force,
      tenant: config.tenantColumn
        ? { column: config.tenantColumn, claim: config.tenantClaim }
        : undefined,
      owner: config.ownerColumn ? { column: config.ownerColumn } : undefined,
      publicRead: config.publicRead,
      policies: config.policies.map((p) => ({
        name: p.name,
        command: p.command,
        mode: p.mode,
        roles: p.roles,
        using: p.using,
        withCheck: p.withCheck,
      })),
      privileges: config.privileges,
    },
    defaults,
  );
}

/** `schema.table`, the resource id and the key of every catalog lookup. */
export function tableKey(t: { schema: string; table: string }): string {
  return `${t.schema}.${t.table}`;
}

/**
 * Merge declarations from stack config and TypeScript. A table declared in
 * both places is an error: which one wins would be a guess.
 */
export function mergeDeclarations(
  fromConfig: TableSpec[],
  fromCode: TableSpec[],
  stackFile: string,
): TableSpec[] {
  const byKey = new Map<string, TableSpec>();
  for (const t of fromConfig) byKey.set(tableKey(t), t);
  for (const t of fromCode) {
    if (byKey.has(tableKey(t))) {
      throw new Error(
        `RLS for ${tableKey(t)} is declared both in ${stackFile} (runbooks:rls.tables) and in TypeScript; keep one of them`,
      );
    }
    byKey.set(tableKey(t), t);
  }
  return [...byKey.values()].sort((a, b) => byCodePoint(tableKey(a), tableKey(b)));
}
