/**
 * What the lints read: one catalog query for every schema the app owns (all
 * but the system's and the platform's own), plus, when there are
 * declarations, the declared expressions normalized by Postgres
 * (normalize.ts). Kept apart from the provider's catalog reader so a lint
 * query can change without touching the provider's code or version.
 *
 * Why every app schema and not only the exposed ones: some holes are holes
 * wherever they are (a SECURITY DEFINER function anon can call, a policy that
 * is always true, a mutable search_path); others matter only where the API
 * reaches (RLS off, materialized and foreign tables), and those rules look at
 * `exposed` themselves.
 */
import type { Queryable } from "../postgres/client";
import {
  POLICY_JSON,
  PRIVILEGES_JSON,
  toLivePolicies,
  type LivePolicy,
  type PolicyRow,
} from "./catalog";
import type { TableSpec } from "./model";
import { normalizeDeclared, type Normalization } from "./normalize";
import { canonicalPrivileges, type PrivilegeMap } from "./privileges";

export interface LintForeignKey {
  name: string;
  columns: string[];
  parentSchema: string;
  parentTable: string;
  parentColumns: string[];
}

export interface LintTable {
  schema: string;
  name: string;
  rlsEnabled: boolean;
  rlsForced: boolean;
  owner: string;
  /** Set when the table belongs to an extension (not the app's to change). */
  extension: string | null;
  /** The app role is the owner or inherits the owner's privileges. */
  ownerIsAppRole: boolean;
  policies: LivePolicy[];
  /** Column names, in table order. */
  columns?: string[];
  /** What each API role may do to the table, grants through PUBLIC and membership included. */
  apiPrivileges?: PrivilegeMap;
  /** Direct grants by grantee (`public` for PUBLIC), the owner left out. */
  grants?: PrivilegeMap;
  foreignKeys?: LintForeignKey[];
}

export interface LintFunction {
  schema: string;
  name: string;
  signature: string;
  owner: string;
  /** Set when the function belongs to an extension. */
  extension: string | null;
  securityDefiner: boolean;
  /** The function's own `search_path` setting, or null when it uses the caller's. */
  searchPath: string | null;
  executableBy: string[];
}

export interface LintCatalog {
  tables: LintTable[];
  /** Roles with BYPASSRLS or SUPERUSER. */
  roles: { name: string; superuser: boolean; bypassRls: boolean }[];
  /** Views and materialized views of the app's schemas. */
  views: {
    schema: string;
    name: string;
    kind: "view" | "materialized";
    securityInvoker: boolean;
    owner: string;
    /** Set when the view belongs to an extension. */
    extension: string | null;
    readableBy: string[];
    /** The view reads auth.users (Supabase Auth's users, e-mails included). */
    readsAuthUsers?: boolean;
  }[];
  /** Functions of the app's schemas (SECURITY DEFINER ones, and the rest for search_path). */
  functions: LintFunction[];
  /** Foreign tables (no RLS applies to them) of the app's schemas. */
  foreignTables?: {
    schema: string;
    name: string;
    readableBy: string[];
    extension: string | null;
  }[];
  /** Installed extensions and their schema. */
  extensions?: { name: string; schema: string }[];
  /** PostgREST's `pgrst.db_schemas`, when the database says which schemas the API exposes. */
  apiSchemas?: string[];
  /** Declared expressions normalized by Postgres, by `schema.table`. */
  normalized?: Map<string, Normalization>;
}

/** Marker for counting lint reads in pg_stat_statements. */
export const LINT_MARKER = "runbooks:rls-lint-catalog";

/**
 * Schemas that are the system's or the platform's (Supabase's services,
 * common extensions' own): not the app's to lint unless exposed or declared.
 */
export const PLATFORM_SCHEMAS: readonly string[] = [
  "pg_catalog",
  "information_schema",
  "pg_toast",
  "auth",
  "storage",
  "extensions",
  "graphql",
  "graphql_public",
  "realtime",
  "_realtime",
  "vault",
  "pgsodium",
  "pgsodium_masks",
  "supabase_functions",
  "supabase_migrations",
  "cron",
  "net",
  "pgbouncer",
  "pgtle",
  "repack",
  "pgmq",
  "tiger",
  "tiger_data",
  "topology",
  "_timescaledb_cache",
  "_timescaledb_catalog",
  "_timescaledb_config",
  "_timescaledb_internal",
];

const EXTENSION_OF = (catalog: string, object: string) =>
  `(select e.extname from pg_depend d join pg_extension e on e.oid = d.refobjid
    where d.classid = '${catalog}'::regclass and d.objid = ${object} and d.deptype = 'e' limit 1)`;

/**
 * Everything the lints need, in one query. $1 API roles, $2 app role, $3
 * schemas read whatever they are called (exposed plus declared), $4 schemas
 * left out otherwise (PLATFORM_SCHEMAS).
 */
export const LINT_CATALOG_SQL = `/* ${LINT_MARKER} */
with api_roles as (
  select r.rolname from unnest($1::text[]) as a(name) join pg_roles r on r.rolname = a.name
),
app_schemas as (
  select n.oid, n.nspname from pg_namespace n
  where n.nspname = any($3::text[])
     or (not n.nspname = any($4::text[]) and n.nspname not like 'pg\\_%')
)
select json_build_object(
  'apiSchemas', (select coalesce(json_agg(trim(s)), '[]'::json)
                 from unnest(string_to_array(nullif(current_setting('pgrst.db_schemas', true), ''), ',')) as s),
  'tables', coalesce((
    select json_agg(json_build_object(
      'schema', n.nspname, 'name', c.relname,
      'rlsEnabled', c.relrowsecurity, 'rlsForced', c.relforcerowsecurity,
      'owner', pg_get_userbyid(c.relowner),
      'extension', ${EXTENSION_OF("pg_class", "c.oid")},
      'ownerIsAppRole', exists (select 1 from pg_roles ar where ar.rolname = $2 and pg_has_role(ar.oid, c.relowner, 'USAGE')),
      'policies', ${POLICY_JSON},
      'grants', ${PRIVILEGES_JSON},
      'columns', (select coalesce(json_agg(a.attname order by a.attnum), '[]'::json) from pg_attribute a
                  where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped),
      'apiPrivileges', (select coalesce(json_object_agg(r.rolname, (
                          select coalesce(json_agg(p.name), '[]'::json)
                          from unnest(array['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) as p(name)
                          where has_table_privilege(r.rolname, c.oid, p.name))), '{}'::json)
                        from api_roles r),
      'foreignKeys', (select coalesce(json_agg(json_build_object(
                        'name', con.conname,
                        'columns', (select json_agg(a.attname order by k.i) from unnest(con.conkey) with ordinality k(n, i)
                                    join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n),
                        'parentSchema', pn.nspname, 'parentTable', pc.relname,
                        'parentColumns', (select json_agg(a.attname order by k.i) from unnest(con.confkey) with ordinality k(n, i)
                                          join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n))
                      order by con.conname), '[]'::json)
                      from pg_constraint con join pg_class pc on pc.oid = con.confrelid
                      join pg_namespace pn on pn.oid = pc.relnamespace
                      where con.conrelid = c.oid and con.contype = 'f')
    ) order by n.nspname, c.relname)
    from pg_class c join app_schemas n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p')), '[]'::json),
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
      'extension', ${EXTENSION_OF("pg_class", "c.oid")},
      'readableBy', coalesce((select json_agg(a.rolname order by a.rolname) from api_roles a
                              where has_table_privilege(a.rolname, c.oid, 'SELECT')), '[]'::json),
      'readsAuthUsers', exists (select 1 from pg_rewrite rw join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = rw.oid
                                where rw.ev_class = c.oid and d.refobjid = to_regclass('auth.users') and d.deptype = 'n')
    ) order by n.nspname, c.relname)
    from pg_class c join app_schemas n on n.oid = c.relnamespace
    where c.relkind in ('v', 'm')), '[]'::json),
  'foreignTables', coalesce((
    select json_agg(json_build_object(
      'schema', n.nspname, 'name', c.relname,
      'extension', ${EXTENSION_OF("pg_class", "c.oid")},
      'readableBy', coalesce((select json_agg(a.rolname order by a.rolname) from api_roles a
                              where has_table_privilege(a.rolname, c.oid, 'SELECT')), '[]'::json)
    ) order by n.nspname, c.relname)
    from pg_class c join app_schemas n on n.oid = c.relnamespace
    where c.relkind = 'f'), '[]'::json),
  'functions', coalesce((
    select json_agg(json_build_object(
      'schema', n.nspname, 'name', p.proname,
      'signature', pg_get_function_identity_arguments(p.oid),
      'owner', pg_get_userbyid(p.proowner),
      'extension', ${EXTENSION_OF("pg_proc", "p.oid")},
      'securityDefiner', p.prosecdef,
      'searchPath', (select substr(cfg, length('search_path=') + 1) from unnest(p.proconfig) as cfg
                     where cfg like 'search\\_path=%' limit 1),
      'executableBy', coalesce((select json_agg(a.rolname order by a.rolname) from api_roles a
                                where has_function_privilege(a.rolname, p.oid, 'EXECUTE')), '[]'::json)
    ) order by n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
    from pg_proc p join app_schemas n on n.oid = p.pronamespace
    where p.prokind in ('f', 'p')), '[]'::json),
  'extensions', coalesce((
    select json_agg(json_build_object('name', e.extname, 'schema', n.nspname) order by e.extname)
    from pg_extension e join pg_namespace n on n.oid = e.extnamespace), '[]'::json)
) as catalog`;

interface RawLintCatalog extends Omit<LintCatalog, "tables" | "normalized"> {
  tables: (Omit<LintTable, "policies"> & { policies: PolicyRow[] })[];
}

/** The API roles the lints reason about: Supabase's two and the stack's app role. */
export function apiRolesFor(appRole: string): string[] {
  return [...new Set(["anon", "authenticated", appRole])];
}

/** One catalog query for the lints, then (with declarations) one normalization transaction. */
export async function readLintCatalog(
  client: Queryable,
  settings: {
    exposedSchemas: string[];
    appRole: string;
    declaredSchemas?: string[];
    /** Declared tables whose expressions to normalize, for the declared-versus-live rule. */
    declared?: readonly TableSpec[];
  },
): Promise<LintCatalog> {
  const declaredSchemas = [
    ...(settings.declaredSchemas ?? []),
    ...(settings.declared ?? []).map((t) => t.schema),
  ];
  const { rows } = await client.query(LINT_CATALOG_SQL, [
    apiRolesFor(settings.appRole),
    settings.appRole,
    [...new Set([...settings.exposedSchemas, ...declaredSchemas])],
    [...PLATFORM_SCHEMAS],
  ]);
  const raw = (rows[0] as { catalog: RawLintCatalog }).catalog;
  const tables = raw.tables.map((t) => ({
    ...t,
    policies: toLivePolicies(t.policies),
    grants: canonicalPrivileges(t.grants ?? {}),
    apiPrivileges: canonicalPrivileges(t.apiPrivileges ?? {}),
  }));
  const present = new Set(tables.map((t) => `${t.schema}.${t.name}`));
  const toNormalize = (settings.declared ?? []).filter((t) =>
    present.has(`${t.schema}.${t.table}`),
  );
  return {
    ...raw,
    tables,
    normalized: await normalizeDeclared(client, toNormalize),
  };
}
