/**
 * What is live: RLS flags and policies as Postgres stores them, expressions
 * already normalized by `pg_get_expr` (the same text `pg_policies.qual` shows).
 *
 * Two readers share one row shape:
 * - `readTable` — one table, inside the apply transaction;
 * - `readCatalogSnapshot` — every table of the given schemas in ONE query,
 *   which `read` (refresh) shares across all resources of a provider process.
 */
import type { Queryable } from "../postgres/client";
import { quoteLiteral } from "../postgres/identifiers";
import { byCodePoint, type RlsCommand, type RlsMode } from "./model";
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

/** One table by schema and name; no row when the table does not exist. */
export const TABLE_STATE_SQL = `
select c.relrowsecurity as enabled, c.relforcerowsecurity as force, ${POLICY_JSON} as policies
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p')`;

/**
 * The same query with the names inlined as literals, so it can ride in one
 * simple-protocol round trip after LOCK TABLE or after a batch of DDL.
 */
export function tableStateSqlFor(t: { schema: string; table: string }): string {
  return TABLE_STATE_SQL.replace("$1", quoteLiteral(t.schema)).replace("$2", quoteLiteral(t.table));
}

/** Map a TABLE_STATE_SQL result row (or its absence) to the live state. */
export function toLiveTableState(
  row: { enabled: boolean; force: boolean; policies: PolicyRow[] } | undefined,
): LiveTableState {
  if (!row) return MISSING_TABLE;
  return {
    exists: true,
    enabled: row.enabled,
    force: row.force,
    policies: toLivePolicies(row.policies),
  };
}

/** Every ordinary or partitioned table in the schemas, with its policies. */
export const CATALOG_SNAPSHOT_SQL = `/* ${SNAPSHOT_MARKER} */
select n.nspname as schema, c.relname as table, c.relrowsecurity as enabled, c.relforcerowsecurity as force,
       ${POLICY_JSON} as policies
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = any($1::text[]) and c.relkind in ('r', 'p')`;

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
  return toLiveTableState(rows[0] as Parameters<typeof toLiveTableState>[0]);
}

/** `schema.table` → live state, for every table in the schemas. */
export type CatalogSnapshot = Map<string, LiveTableState>;

export async function readCatalogSnapshot(
  client: Queryable,
  schemas: readonly string[],
): Promise<CatalogSnapshot> {
  const { rows } = await client.query(CATALOG_SNAPSHOT_SQL, [[...schemas]]);
  const snapshot: CatalogSnapshot = new Map();
  for (const row of rows as {
    schema: string;
    table: string;
    enabled: boolean;
    force: boolean;
    policies: PolicyRow[];
  }[]) {
    snapshot.set(`${row.schema}.${row.table}`, {
      exists: true,
      enabled: row.enabled,
      force: row.force,
      policies: toLivePolicies(row.policies),
    });
  }
  return snapshot;
}
