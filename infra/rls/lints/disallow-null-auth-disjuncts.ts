import type { LintHit, LintRule } from "./rule";
import { analysesOf, apiRolesOf, keyOf } from "./rule";

/**
 * `auth.uid() IS NULL OR …` is true for every row when the session has no
 * user, which is every `anon` request: almost always meant as `IS NOT NULL AND`.
 */
export const disallowNullAuthDisjuncts: LintRule = {
  id: "disallow-null-auth-disjuncts",
  severity: "high",
  description:
    "No permissive read policy is true for every row when auth.uid(), auth.jwt() or a setting is NULL.",
  check: (ctx) => {
    const out: LintHit[] = [];
    for (const t of ctx.catalog.tables) {
      for (const p of t.policies) {
        const roles = apiRolesOf(ctx, p);
        if (p.mode !== "PERMISSIVE" || roles.length === 0) continue;
        if (p.command !== "SELECT" && p.command !== "ALL") continue;
        if (!analysesOf(ctx, p).using?.facts.nullSessionDisjunct) continue;
        out.push({
          subject: `${keyOf(t)} policy ${p.name}`,
          message: `USING of policy ${p.name} on ${keyOf(t)} has a top-level OR branch that is true when a session value is NULL (${p.using}): every session without a user, anon included, reads every row`,
          fix: "remove the IS NULL branch, or gate it: (select auth.uid()) IS NOT NULL AND …",
        });
      }
    }
    return out;
  },
};
