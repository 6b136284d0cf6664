/**
 * What is live: RLS flags, policies and table privileges as Postgres stores
 * them, expressions already normalized by `pg_get_expr` (the same text
 * `pg_policies.qual` shows).
 *
 * Two readers share one row shape:
 * - `readTable` — one table, inside the apply transaction;
 * - `readCatalogSnapshot` — every table of the given schemas, their columns
 *   and the cluster's role names in ONE query, which check, diff and read
 *   (refresh) share across all resources of a provider process.
 */
import type { Queryable } from "../postgres/client";
import { quoteLiteral } from "../postgres/identifiers";
import { byCodePoint, type RlsCommand, type RlsMode } from "./model";
import { canonicalPrivileges, type PrivilegeMap } from "./privileges";
import { COMMAND_BY_POLCMD } from "./sql";

/** A policy as Postgres has it. Expressions are pg_get_expr output. */
export interface LivePolicy {
  name: string;
  command: RlsCommand;
  mode: RlsMode;
  /** Sorted; `public` for the PUBLIC pseudo-role. */
  roles: string[];
  using: string | null;
  withCheck: string | null;
}

/** A table's RLS as Postgres has it. */
export interface LiveTableState {
  exists: boolean;
  enabled: boolean;
  force: boolean;
  /** Sorted by name. */
  policies: LivePolicy[];
  /**
   * Direct table grants by grantee (`public` for PUBLIC), the owner left out.
   * Absent in state written before privileges were managed.
   */
  privileges?: PrivilegeMap;
}

export const MISSING_TABLE: LiveTableState = {
  exists: false,
  enabled: false,
  force: false,
  policies: [],
};

/** The marker lets pg_stat_statements (and the benchmark) count catalog reads. */
export const SNAPSHOT_MARKER = "runbooks:rls-catalog-snapshot";

/** Policies of table `c` as JSON rows; shared with the lints' catalog query. */
export const POLICY_JSON = `
  coalesce(
    (select json_agg(json_build_object(
        'name', p.polname,
        'polcmd', p.polcmd,
        'permissive', p.polpermissive,
        'roles', (select coalesce(json_agg(case when r.oid = 0 then 'public' else pg_get_userbyid(r.oid) end
                                            order by case when r.oid = 0 then 'public' else pg_get_userbyid(r.oid) end), '[]'::json)
                  from unnest(p.polroles) as r(oid)),
        'using', pg_get_expr(p.polqual, p.polrelid),
        'withCheck', pg_get_expr(p.polwithcheck, p.polrelid)
      ) order by p.polname)
     from pg_policy p where p.polrelid = c.oid),
    '[]'::json)`;

/** Direct grants on table `c` by grantee; the owner's implicit privileges are not grants. */
export const PRIVILEGES_JSON = `
  coalesce(
    (select json_object_agg(g.grantee, g.privileges)
     from (select case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee) end as grantee,
                  json_agg(distinct a.privilege_type order by a.privilege_type) as privileges
           from aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
           where a.grantee <> c.relowner
           group by a.grantee) g),
    '{}'::json)`;

/** One table by schema and name; no row when the table does not exist. */
export const TABLE_STATE_SQL = `
select c.relrowsecurity as enabled, c.relforcerowsecurity as force, ${POLICY_JSON} as policies,
       ${PRIVILEGES_JSON} as privileges
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p')`;

/**
 * The same query with the names inlined as literals, so it can ride in one
 * simple-protocol round trip after LOCK TABLE or after a batch of DDL.
 */
export function tableStateSqlFor(t: { schema: string; table: string }): string {
  return TABLE_STATE_SQL.replace("$1", quoteLiteral(t.schema)).replace("$2", quoteLiteral(t.table));
}

/** A TABLE_STATE_SQL row, also the per-table part of the snapshot. */
export interface TableStateRow {
  enabled: boolean;
  force: boolean;
  policies: PolicyRow[];
  privileges: Record<string, string[]>;
}

/** Map a TABLE_STATE_SQL result row (or its absence) to the live state. */
export function toLiveTableState(row: TableStateRow | undefined): LiveTableState {
  if (!row) return MISSING_TABLE;
  return {
    exists: true,
    enabled: row.enabled,
    force: row.force,
    policies: toLivePolicies(row.policies),
    privileges: canonicalPrivileges(row.privileges ?? {}),
  };
}

/**
 * Every ordinary or partitioned table in the schemas with its policies,
 * grants and column names, and every role name, as one JSON value.
 *
 * pg_get_expr opens each table with ACCESS SHARE, so a migration holding
 * ACCESS EXCLUSIVE would stall the read: $2 is a lock_timeout, set for this
 * statement alone by the FROM item (evaluated before the select list), so
 * the read stays one statement and works through a transaction pooler.
 */
export const CATALOG_SNAPSHOT_SQL = `/* ${SNAPSHOT_MARKER} */
select json_build_object(
  'roles', (select json_agg(rolname order by rolname) from pg_roles),
  'tables', coalesce((
    select json_agg(json_build_object(
      'schema', n.nspname, 'table', c.relname,
      'enabled', c.relrowsecurity, 'force', c.relforcerowsecurity,
      'policies', ${POLICY_JSON},
      'privileges', ${PRIVILEGES_JSON},
      'columns', (select coalesce(json_agg(a.attname order by a.attnum), '[]'::json) from pg_attribute a
                  where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped)))
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any($1::text[]) and c.relkind in ('r', 'p')), '[]'::json)
) as snapshot
from (select set_config('lock_timeout', $2::text, true)) as bounded`;

export interface PolicyRow {
  name: string;
  polcmd: string;
  permissive: boolean;
  roles: string[];
  using: string | null;
  withCheck: string | null;
}

/** Map the JSON policies column to LivePolicy[] (pure). */
export function toLivePolicies(rows: PolicyRow[]): LivePolicy[] {
  return rows
    .map((r) => ({
      name: r.name,
      command: COMMAND_BY_POLCMD[r.polcmd] ?? "ALL",
      mode: r.permissive ? ("PERMISSIVE" as const) : ("RESTRICTIVE" as const),
      roles: [...r.roles].sort(),
      using: r.using ?? null,
      withCheck: r.withCheck ?? null,
    }))
    .sort((a, b) => byCodePoint(a.name, b.name));
}

export async function readTable(
  client: Queryable,
  t: { schema: string; table: string },
): Promise<LiveTableState> {
  // Literal names, no parameters: a simple-protocol query can share a round trip with BEGIN.
  const { rows } = await client.query(tableStateSqlFor(t));
  return toLiveTableState(rows[0] as TableStateRow | undefined);
}

/** The live side of every table of some schemas, read in one query. */
export interface CatalogSnapshot {
  /** `schema.table` → live state. */
  tables: Map<string, LiveTableState>;
  /** `schema.table` → column names, in table order. */
  columns: Map<string, string[]>;
  /** Every role of the cluster. */
  roles: Set<string>;
}

export async function readCatalogSnapshot(
  client: Queryable,
  schemas: readonly string[],
  lockTimeoutMs = 5_000,
): Promise<CatalogSnapshot> {
  const { rows } = await client.query(CATALOG_SNAPSHOT_SQL, [
    [...schemas],
    `${Math.max(1, Math.round(lockTimeoutMs))}ms`,
  ]);
  const raw = (
    rows[0] as {
      snapshot: {
        roles: string[];
        tables: (TableStateRow & { schema: string; table: string; columns: string[] })[];
      };
    }
  ).snapshot;
  const snapshot: CatalogSnapshot = {
    tables: new Map(),
    columns: new Map(),
    roles: new Set(raw.roles),
  };
  for (const row of raw.tables) {
    const key = `${row.schema}.${row.table}`;
    snapshot.tables.set(key, toLiveTableState(row));
    snapshot.columns.set(key, row.columns);
  }
  return snapshot;
}
