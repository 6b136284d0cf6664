/**
 * RLS lints: pure rules over one catalog snapshot and the declared set, one
 * rule per file. RLS fails open in three ways — it is off, a role bypasses
 * it, or the owner is exempt because FORCE is missing — and leaks in more: a
 * policy that is always true, or true for anonymous sessions, or trusts
 * user-editable metadata; privileges RLS does not govern (TRUNCATE); foreign
 * keys that cross tenants; a SECURITY DEFINER view or function that reads
 * the table as its owner, or resolves names through the caller's search_path;
 * objects of extensions and foreign tables in an exposed schema. Each rule
 * catches one of those, says how bad it is, and how to fix it.
 */
import type { Finding, FindingSeverity } from "../../lib/findings";
import type { LintCatalog } from "../lint-catalog";
import type { TableSpec } from "../model";
import { disallowAlwaysTrueTenantPolicies } from "./disallow-always-true-tenant-policies";
import { disallowExposedMaterializedViews } from "./disallow-exposed-materialized-views";
import { disallowExposedSecurityDefinerFunctions } from "./disallow-exposed-security-definer-functions";
import { disallowExtensionsInExposedSchemas } from "./disallow-extensions-in-exposed-schemas";
import { disallowOverlappingPermissivePolicies } from "./disallow-overlapping-permissive-policies";
import { disallowSecurityDefinerViews } from "./disallow-security-definer-views";
import { disallowUnapprovedBypassrls } from "./disallow-unapproved-bypassrls";
import { disallowUndeclaredPolicies } from "./disallow-undeclared-policies";
import { requireDeclaredTablesExist } from "./require-declared-tables-exist";
import { requireForcedRlsForOwner } from "./require-forced-rls-for-owner";
import { requireLiveRlsToMatchDeclaration } from "./require-live-rls-to-match-declaration";
import { requirePoliciesOnRlsTables } from "./require-policies-on-rls-tables";
import { requireRlsOnExposedTables } from "./require-rls-on-exposed-tables";
import { requireWrappedAuthCalls } from "./require-wrapped-auth-calls";
import { disallowAlwaysTrueWritePolicies } from "./disallow-always-true-write-policies";
import { disallowExposedAuthUsersViews } from "./disallow-exposed-auth-users-views";
import { disallowExposedForeignTables } from "./disallow-exposed-foreign-tables";
import { disallowNullAuthDisjuncts } from "./disallow-null-auth-disjuncts";
import { disallowRlsBypassingPrivileges } from "./disallow-rls-bypassing-privileges";
import { disallowUndeclaredAlwaysTrueReadPolicies } from "./disallow-undeclared-always-true-read-policies";
import { disallowUserMetadataInPolicies } from "./disallow-user-metadata-in-policies";
import { requireFixedSearchPathOnFunctions } from "./require-fixed-search-path-on-functions";
import { requireFixedSearchPathOnSecurityDefinerFunctions } from "./require-fixed-search-path-on-security-definer-functions";
import { requireRlsWherePoliciesExist } from "./require-rls-where-policies-exist";
import { requireTenantColumnInForeignKeys } from "./require-tenant-column-in-foreign-keys";
import { lintContext, type LintRule, type LintSettings } from "./rule";

export type { LintRule, LintSettings } from "./rule";

/** Every rule, registered once. */
export const LINT_RULES: readonly LintRule[] = [
  requireRlsOnExposedTables,
  requireForcedRlsForOwner,
  requirePoliciesOnRlsTables,
  disallowUnapprovedBypassrls,
  disallowAlwaysTrueTenantPolicies,
  requireWrappedAuthCalls,
  disallowOverlappingPermissivePolicies,
  disallowUndeclaredPolicies,
  requireLiveRlsToMatchDeclaration,
  requireDeclaredTablesExist,
  disallowSecurityDefinerViews,
  disallowExposedMaterializedViews,
  disallowExposedSecurityDefinerFunctions,
  disallowExtensionsInExposedSchemas,
  disallowAlwaysTrueWritePolicies,
  disallowUndeclaredAlwaysTrueReadPolicies,
  disallowUserMetadataInPolicies,
  disallowNullAuthDisjuncts,
  requireFixedSearchPathOnSecurityDefinerFunctions,
  requireFixedSearchPathOnFunctions,
  disallowRlsBypassingPrivileges,
  requireTenantColumnInForeignKeys,
  disallowExposedForeignTables,
  requireRlsWherePoliciesExist,
  disallowExposedAuthUsersViews,
];

const RANK: Record<FindingSeverity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

/** Run every rule. Findings are sorted most severe first, then by subject and rule. */
export async function lintRls(
  catalog: LintCatalog,
  declared: readonly TableSpec[],
  settings: LintSettings,
  rules: readonly LintRule[] = LINT_RULES,
): Promise<Finding[]> {
  const ctx = await lintContext(catalog, declared, settings);
  const findings: Finding[] = [];
  for (const rule of rules) {
    for (const hit of await rule.check(ctx))
      findings.push({ id: rule.id, severity: rule.severity, ...hit });
  }
  return findings.sort(
    (a, b) =>
      RANK[a.severity] - RANK[b.severity] ||
      (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0) ||
      (a.id < b.id ? -1 : 1),
  );
}
