import type { LintHit, LintRule } from "./rule";
import { apiRolesOf, isAlwaysTrue, keyOf } from "./rule";

/** An always-true USING or WITH CHECK on a tenant-scoped table opens every tenant's rows. */
export const disallowAlwaysTrueTenantPolicies: LintRule = {
  id: "disallow-always-true-tenant-policies",
  severity: "high",
  description:
    "No permissive policy for an API role on a tenant-scoped table is always true, in USING or in WITH CHECK.",
  check: (ctx) => {
    const out: LintHit[] = [];
    for (const t of ctx.catalog.tables) {
      const tenantColumn = ctx.tenantColumnOf(t);
      if (!tenantColumn) continue;
      const spec = ctx.declaredByKey.get(keyOf(t));
      for (const p of t.policies) {
        const roles = apiRolesOf(ctx, p);
        if (p.mode !== "PERMISSIVE" || roles.length === 0) continue;
        const clauses = [
          isAlwaysTrue(ctx, p.using) ? "USING" : "",
          isAlwaysTrue(ctx, p.withCheck) ? "WITH CHECK" : "",
        ].filter(Boolean);
        if (clauses.length === 0) continue;
        out.push({
          subject: `${keyOf(t)} policy ${p.name}`,
          message: `${keyOf(t)} is tenant-scoped by ${tenantColumn}, but policy ${p.name} (${p.command} to ${roles.join(", ")}) has an always-true ${clauses.join(" and ")}: it opens every tenant's rows`,
          fix: `drop policy ${p.name} or restrict it with ${tenantColumn} = ((select auth.jwt()) ->> '${spec?.tenantClaim ?? "tenant_id"}')::uuid`,
        });
      }
    }
    return out;
  },
};
