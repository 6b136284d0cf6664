import type { LintHit, LintRule } from "./rule";
import { isTrue, keyOf } from "./rule";

/** `USING (true)` on a tenant-scoped table opens every tenant's rows to the roles it names. */
export const disallowAlwaysTrueTenantPolicies: LintRule = {
  id: "disallow-always-true-tenant-policies",
  severity: "high",
  description:
    "No permissive policy for an API role on a tenant-scoped table is USING (true) or WITH CHECK (true).",
  check: ({ catalog, declaredByKey, apiRoles }) => {
    const out: LintHit[] = [];
    for (const t of catalog.tables) {
      const spec = declaredByKey.get(keyOf(t));
      if (!spec?.tenantColumn) continue;
      for (const p of t.policies) {
        const roles = p.roles.filter((r) => r === "public" || apiRoles.includes(r));
        if (p.mode !== "PERMISSIVE" || roles.length === 0) continue;
        if (!isTrue(p.using) && !isTrue(p.withCheck)) continue;
        out.push({
          subject: `${keyOf(t)} policy ${p.name}`,
          message: `${keyOf(t)} is tenant-scoped by ${spec.tenantColumn}, but policy ${p.name} (${p.command} to ${roles.join(", ")}) is ${isTrue(p.using) ? "USING (true)" : "WITH CHECK (true)"}: it opens every tenant's rows`,
          fix: `drop policy ${p.name} or restrict it with ${spec.tenantColumn} = ((select auth.jwt()) ->> '${spec.tenantClaim ?? "tenant_id"}')::uuid`,
        });
      }
    }
    return out;
  },
};
