/**
 * What one RLS lint rule is, and the context every rule reads: one catalog
 * snapshot, the declared tables and the stack's settings, prepared once.
 */
import type { Finding, FindingSeverity } from "../../lib/findings";
import type { LivePolicy } from "../catalog";
import { compareWithDeclaration, type Comparison } from "../declared-vs-live";
import { analyzeExpression, type ExpressionAnalysis } from "../expressions";
import { apiRolesFor, type LintCatalog, type LintTable } from "../lint-catalog";
import { tableKey, type TableSpec } from "../model";

export interface LintSettings {
  exposedSchemas: string[];
  appRole: string;
  /** Roles allowed BYPASSRLS besides superusers (runbooks:database.bypassRlsAllowed). */
  bypassRlsAllowed: string[];
  /** Where declarations live, for fixes (e.g. `stacks/Pulumi.staging.yaml`). */
  declarationsHint?: string;
  /**
   * Undeclared tables with this column count as tenant-scoped by it (tenant
   * rules, foreign keys). Default `tenant_id`; declared tables use their
   * declared tenantColumn (or none).
   */
  tenantColumn?: string;
}

export interface LintContext {
  catalog: LintCatalog;
  settings: LintSettings;
  /** Where a fix should change the declaration. */
  where: string;
  /** The schemas the API exposes: the settings', plus PostgREST's `pgrst.db_schemas` when set. */
  exposed: ReadonlySet<string>;
  /** `anon`, `authenticated` and the app role. */
  apiRoles: readonly string[];
  declared: readonly TableSpec[];
  declaredByKey: ReadonlyMap<string, TableSpec>;
  liveByKey: ReadonlyMap<string, LintTable>;
  /** Each declared table that exists, compared with its declaration (declared-vs-live.ts). */
  comparisons: ReadonlyMap<string, Comparison>;
  /** The tenant column of a table: declared, or for an undeclared table found by `settings.tenantColumn`. */
  tenantColumnOf(t: LintTable): string | undefined;
  /** Every policy expression of the catalog, analyzed once (facts, per-row calls). */
  analyses: ReadonlyMap<string, ExpressionAnalysis>;
}

/** What a rule reports; the rule's id and severity are added by `lintRls`. */
export type LintHit = Omit<Finding, "id" | "severity">;

export interface LintRule {
  /** Verb-first kebab-case, stable: scripts and allowlists match on it. */
  id: string;
  severity: FindingSeverity;
  /** One sentence: what the rule protects against. */
  description: string;
  check(ctx: LintContext): LintHit[] | Promise<LintHit[]>;
}

export async function lintContext(
  catalog: LintCatalog,
  declared: readonly TableSpec[],
  settings: LintSettings,
): Promise<LintContext> {
  const declaredByKey = new Map(declared.map((t) => [tableKey(t), t]));
  const liveByKey = new Map(catalog.tables.map((t) => [`${t.schema}.${t.name}`, t]));
  const comparisons = new Map<string, Comparison>();
  for (const spec of declared) {
    const live = liveByKey.get(tableKey(spec));
    if (!live) continue;
    const state = {
      exists: true,
      enabled: live.rlsEnabled,
      force: live.rlsForced,
      policies: live.policies,
      privileges: live.grants ?? {},
    };
    comparisons.set(
      tableKey(spec),
      compareWithDeclaration(spec, state, catalog.normalized?.get(tableKey(spec))),
    );
  }
  const analyses = new Map<string, ExpressionAnalysis>();
  for (const t of catalog.tables)
    for (const p of t.policies)
      for (const e of [p.using, p.withCheck])
        if (e !== null && !analyses.has(e)) analyses.set(e, await analyzeExpression(e));
  const discovered = settings.tenantColumn ?? "tenant_id";
  return {
    catalog,
    settings,
    where: settings.declarationsHint ?? "runbooks:rls.tables",
    exposed: new Set([...settings.exposedSchemas, ...(catalog.apiSchemas ?? [])]),
    apiRoles: apiRolesFor(settings.appRole),
    declared,
    declaredByKey,
    liveByKey,
    comparisons,
    analyses,
    tenantColumnOf(t) {
      const spec = declaredByKey.get(keyOf(t));
      if (spec) return spec.tenantColumn ?? undefined;
      return (t.columns ?? []).includes(discovered) ? discovered : undefined;
    },
  };
}

/** The policy's analyzed expressions (from the context's cache). */
export function analysesOf(ctx: LintContext, p: LivePolicy) {
  return {
    using: p.using === null ? undefined : ctx.analyses.get(p.using),
    withCheck: p.withCheck === null ? undefined : ctx.analyses.get(p.withCheck),
  };
}

/** Does the policy reach an API role (named, or through PUBLIC)? Returns those roles. */
export function apiRolesOf(ctx: LintContext, p: LivePolicy): string[] {
  return p.roles.includes("public") ? ["public"] : p.roles.filter((r) => ctx.apiRoles.includes(r));
}

export const COMMANDS = ["SELECT", "INSERT", "UPDATE", "DELETE"] as const;

export function keyOf(t: { schema: string; name: string }): string {
  return `${t.schema}.${t.name}`;
}

export function appliesTo(p: LivePolicy, role: string): boolean {
  return p.roles.includes("public") || p.roles.includes(role);
}

export function appliesToCommand(p: LivePolicy, command: (typeof COMMANDS)[number]): boolean {
  return p.command === "ALL" || p.command === command;
}

/** Is the expression true for every row and session (`true`, `1 = 1`, `x OR true`)? */
export function isAlwaysTrue(ctx: LintContext, expression: string | null): boolean {
  return expression !== null && ctx.analyses.get(expression)?.facts.alwaysTrue === true;
}
