/**
 * What one RLS lint rule is, and the context every rule reads: one catalog
 * snapshot, the declared tables and the stack's settings, prepared once.
 */
import type { Finding, FindingSeverity } from "../../lib/findings";
import type { LivePolicy } from "../catalog";
import type { LintCatalog, LintTable } from "../lint-catalog";
import { tableKey, type TableSpec } from "../model";

export interface LintSettings {
  exposedSchemas: string[];
  appRole: string;
  /** Roles allowed BYPASSRLS besides superusers (runbooks:database.bypassRlsAllowed). */
  bypassRlsAllowed: string[];
  /** Where declarations live, for fixes (e.g. `stacks/Pulumi.staging.yaml`). */
  declarationsHint?: string;
}

export interface LintContext {
  catalog: LintCatalog;
  settings: LintSettings;
  /** Where a fix should change the declaration. */
  where: string;
  exposed: ReadonlySet<string>;
  /** `anon`, `authenticated` and the app role. */
  apiRoles: readonly string[];
  declared: readonly TableSpec[];
  declaredByKey: ReadonlyMap<string, TableSpec>;
  liveByKey: ReadonlyMap<string, LintTable>;
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

export function lintContext(
  catalog: LintCatalog,
  declared: readonly TableSpec[],
  settings: LintSettings,
): LintContext {
  return {
    catalog,
    settings,
    where: settings.declarationsHint ?? "runbooks:rls.tables",
    exposed: new Set(settings.exposedSchemas),
    apiRoles: [...new Set(["anon", "authenticated", settings.appRole])],
    declared,
    declaredByKey: new Map(declared.map((t) => [tableKey(t), t])),
    liveByKey: new Map(catalog.tables.map((t) => [`${t.schema}.${t.name}`, t])),
  };
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

export function isTrue(expression: string | null): boolean {
  return expression !== null && /^\(*\s*true\s*\)*$/i.test(expression.trim());
}
