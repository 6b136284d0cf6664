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
import { byCodePoint, quoteLiteral, type RlsCommand, type RlsMode } from "./model";
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

const POLICY_JSON = `
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

/** Marker for counting lint reads in pg_stat_statements. */
export const LINT_MARKER = "runbooks:rls-lint-catalog";

/**
 * Everything the lints need, in one query: tables of the exposed schemas with
 * their policies, BYPASSRLS roles, views and SECURITY DEFINER functions with
 * the API roles that can reach them. $1 exposed schemas, $2 API roles, $3 app
 * role, $4 every schema whose tables to read (exposed plus declared).
 */
export const LINT_CATALOG_SQL = `/* ${LINT_MARKER} */
with api_roles as (
  select r.rolname from unnest($2::text[]) as a(name) join pg_roles r on r.rolname = a.name
)
select json_build_object(
  'tables', coalesce((
    select json_agg(json_build_object(
      'schema', n.nspname, 'name', c.relname,
      'rlsEnabled', c.relrowsecurity, 'rlsForced', c.relforcerowsecurity,
      'owner', pg_get_userbyid(c.relowner),
      'extension', (select e.extname from pg_depend d join pg_extension e on e.oid = d.refobjid
                    where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e' limit 1),
      'ownerIsAppRole', exists (select 1 from pg_roles ar where ar.rolname = $3 and pg_has_role(ar.oid, c.relowner, 'USAGE')),
      'policies', ${POLICY_JSON}
    ) order by n.nspname, c.relname)
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname = any($4::text[])), '[]'::json),
  'roles', coalesce((
    select json_agg(json_build_object('name', rolname, 'superuser', rolsuper, 'bypassRls', rolbypassrls) order by rolname)
    from pg_roles where rolbypassrls or rolsuper), '[]'::json),
  'views', coalesce((
    select json_agg(json_build_object(
      'schema', n.nspname, 'name', c.relname,
      'kind', case c.relkind when 'm' then 'materialized' else 'view' end,
      'securityInvoker', coalesce((select lower(option_value) in ('true', 'on', '1', 'yes')
                                   from pg_options_to_table(c.reloptions) where option_name = 'security_invoker'), false),
      'owner', pg_get_userbyid(c.relowner),
      'extension', (select e.extname from pg_depend d join pg_extension e on e.oid = d.refobjid
                    where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e' limit 1),
      'readableBy', coalesce((select json_agg(a.rolname order by a.rolname) from api_roles a
                              where has_table_privilege(a.rolname, c.oid, 'SELECT')), '[]'::json)
    ) order by n.nspname, c.relname)
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('v', 'm') and n.nspname = any($1::text[])), '[]'::json),
  'functions', coalesce((
    select json_agg(json_build_object(
      'schema', n.nspname, 'name', p.proname,
      'signature', pg_get_function_identity_arguments(p.oid),
      'owner', pg_get_userbyid(p.proowner),
      'extension', (select e.extname from pg_depend d join pg_extension e on e.oid = d.refobjid
                    where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e' limit 1),
      'executableBy', coalesce((select json_agg(a.rolname order by a.rolname) from api_roles a
                                where has_function_privilege(a.rolname, p.oid, 'EXECUTE')), '[]'::json)
    ) order by n.nspname, p.proname)
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where p.prosecdef and n.nspname = any($1::text[])), '[]'::json)
) as catalog`;

type LintCatalogShape = import("./lints/index").LintCatalog;

interface RawLintCatalog extends Omit<LintCatalogShape, "tables"> {
  tables: (Omit<LintCatalogShape["tables"][number], "policies"> & { policies: PolicyRow[] })[];
}

/** One query for the lints. */
export async function readLintCatalog(
  client: Queryable,
  settings: { exposedSchemas: string[]; appRole: string; declaredSchemas?: string[] },
): Promise<import("./lints/index").LintCatalog> {
  const apiRoles = [...new Set(["anon", "authenticated", settings.appRole])];
  const tableSchemas = [
    ...new Set([...settings.exposedSchemas, ...(settings.declaredSchemas ?? [])]),
  ];
  const { rows } = await client.query(LINT_CATALOG_SQL, [
    settings.exposedSchemas,
    apiRoles,
    settings.appRole,
    tableSchemas,
  ]);
  const raw = (rows[0] as { catalog: RawLintCatalog }).catalog;
  return {
    tables: raw.tables.map((t) => ({ ...t, policies: toLivePolicies(t.policies) })),
    roles: raw.roles,
    views: raw.views,
    functions: raw.functions,
  };
}
