import type { LintHit, LintRule } from "./rule";
import { apiRolesOf, isAlwaysTrue, keyOf } from "./rule";

/**
 * `FOR SELECT USING (true)` is how a public table is read, and a leak
 * anywhere else. Declared `publicRead` says it is meant; otherwise it is
 * reported so someone decides.
 */
export const disallowUndeclaredAlwaysTrueReadPolicies: LintRule = {
  id: "disallow-undeclared-always-true-read-policies",
  severity: "medium",
  description:
    "A SELECT policy that lets an API role read every row exists only on tables declared publicRead.",
  check: (ctx) => {
    const out: LintHit[] = [];
    for (const t of ctx.catalog.tables) {
      if (!t.rlsEnabled || ctx.tenantColumnOf(t)) continue;
      if (ctx.declaredByKey.get(keyOf(t))?.publicRead) continue;
      for (const p of t.policies) {
        const roles = apiRolesOf(ctx, p);
        if (p.mode !== "PERMISSIVE" || roles.length === 0 || p.command !== "SELECT") continue;
        if (!isAlwaysTrue(ctx, p.using)) continue;
        out.push({
          subject: `${keyOf(t)} policy ${p.name}`,
          message: `policy ${p.name} lets ${roles.join(", ")} read every row of ${keyOf(t)}`,
          fix: `if ${keyOf(t)} is public, declare it with publicRead: true in ${ctx.where}; otherwise restrict the policy to the caller's rows`,
        });
      }
    }
    return out;
  },
};
