/**
 * What the lints read: one catalog query for tables (with their policies),
 * BYPASSRLS roles, views and SECURITY DEFINER functions, with the API roles
 * that can reach each. Kept apart from the provider's catalog reader so a
 * lint query can change without touching the provider's code or version.
 */
import type { Queryable } from "../postgres/client";
import { POLICY_JSON, toLivePolicies, type LivePolicy, type PolicyRow } from "./catalog";

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
}

export interface LintCatalog {
  tables: LintTable[];
  /** Roles with BYPASSRLS or SUPERUSER. */
  roles: { name: string; superuser: boolean; bypassRls: boolean }[];
  /** Views and materialized views in exposed schemas. */
  views: {
    schema: string;
    name: string;
    kind: "view" | "materialized";
    securityInvoker: boolean;
    owner: string;
    /** Set when the view belongs to an extension. */
    extension: string | null;
    readableBy: string[];
  }[];
  /** SECURITY DEFINER functions in exposed schemas. */
  functions: {
    schema: string;
    name: string;
    signature: string;
    owner: string;
    /** Set when the function belongs to an extension. */
    extension: string | null;
    executableBy: string[];
  }[];
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

interface RawLintCatalog extends Omit<LintCatalog, "tables"> {
  tables: (Omit<LintTable, "policies"> & { policies: PolicyRow[] })[];
}

/** One query for the lints. */
export async function readLintCatalog(
  client: Queryable,
  settings: { exposedSchemas: string[]; appRole: string; declaredSchemas?: string[] },
): Promise<LintCatalog> {
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
