/**
 * An RLS table resource (infra/rls/rls-table.ts) seen as the RLS lints see a
 * table, so the pack runs the lints' own rules on what a change declares,
 * before anything reaches the database.
 */
import type { ResourceValidationArgs } from "@pulumi/policy";
import type { LivePolicy } from "../../infra/rls/catalog";
import type { LintTable } from "../../infra/rls/lint-catalog";
import { lintContext, type LintContext, type LintRule } from "../../infra/rls/lints/rule";
import type { PolicySpec, TableSpec } from "../../infra/rls/model";
import { sortPrivileges } from "../../infra/rls/privileges";
import { asList, known, knownString } from "../lib/policy";

/** The roles PostgREST lets the internet act as (Supabase); the team may add its app role. */
export const DEFAULT_API_ROLES = ["anon", "authenticated"];

export interface RlsTableFacts {
  key: string;
  spec: TableSpec;
}

export function rlsTableFacts(args: ResourceValidationArgs): RlsTableFacts {
  const schema = knownString(() => args.props.schema) ?? "public";
  const table = knownString(() => args.props.table) ?? args.name;
  const policies = asList(known(() => args.props.policies as PolicySpec[])).map(
    (p): PolicySpec => ({
      name: String(known(() => p.name)),
      command: known(() => p.command) ?? "ALL",
      mode: known(() => p.mode) ?? "PERMISSIVE",
      roles: asList(known(() => p.roles)).map(String),
      using: knownString(() => p.using) ?? null,
      withCheck: knownString(() => p.withCheck) ?? null,
    }),
  );
  const spec: TableSpec = {
    schema,
    table,
    enabled: known(() => args.props.enabled) !== false,
    force: known(() => args.props.force) !== false,
    policies,
    tenantColumn: knownString(() => args.props.tenantColumn) ?? null,
    tenantClaim: knownString(() => args.props.tenantClaim) ?? null,
    ownerColumn: null,
    publicRead: false,
    privileges: knownPrivileges(known(() => args.props.privileges)),
  };
  return { key: `${schema}.${table}`, spec };
}

/** The declared privilege map, as far as the preview knows it (unknown grantees are left out). */
function knownPrivileges(raw: unknown): TableSpec["privileges"] {
  if (raw === null || typeof raw !== "object") return {};
  const out: TableSpec["privileges"] = {};
  for (const [grantee, list] of Object.entries(raw as Record<string, unknown>)) {
    const named = asList(known(() => list as unknown[])).filter((p) => typeof p === "string");
    out[grantee] = sortPrivileges(named);
  }
  return out;
}

/** The lint context of one declared table: its declaration is the catalog. */
export async function declaredLintContext(
  spec: TableSpec,
  apiRoles: readonly string[],
): Promise<LintContext> {
  const table: LintTable = {
    schema: spec.schema,
    name: spec.table,
    rlsEnabled: spec.enabled,
    rlsForced: spec.force,
    owner: "",
    extension: null,
    ownerIsAppRole: false,
    policies: spec.policies.map((p): LivePolicy => ({
      name: p.name,
      command: p.command,
      mode: p.mode,
      roles: p.roles,
      using: p.using,
      withCheck: p.withCheck,
    })),
  };
  const extraRoles = apiRoles.filter((r) => !DEFAULT_API_ROLES.includes(r));
  const context = await lintContext(
    { tables: [table], roles: [], views: [], functions: [] },
    [spec],
    {
      exposedSchemas: [spec.schema],
      appRole: extraRoles[0] ?? "authenticated",
      bypassRlsAllowed: [],
      declarationsHint: "runbooks:rls.tables (or RLS_TABLES_IN_CODE)",
    },
  );
  return { ...context, apiRoles: [...new Set([...DEFAULT_API_ROLES, ...apiRoles])] };
}

/** Run one lint rule on the declaration and return its messages. */
export async function lintDeclared(
  rule: LintRule,
  spec: TableSpec,
  apiRoles: readonly string[],
): Promise<string[]> {
  const hits = await rule.check(await declaredLintContext(spec, apiRoles));
  return hits.map((h) => `${h.message}; fix: ${h.fix}`);
}
