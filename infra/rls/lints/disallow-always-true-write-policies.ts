import type { LintHit, LintRule } from "./rule";
import { apiRolesOf, isAlwaysTrue, keyOf } from "./rule";

/**
 * A permissive INSERT, UPDATE, DELETE or ALL policy that is always true lets
 * the roles it names write every row: RLS on, protecting nothing. (Tenant
 * tables have their own, stricter rule.)
 */
export const disallowAlwaysTrueWritePolicies: LintRule = {
  id: "disallow-always-true-write-policies",
  severity: "high",
  description:
    "No permissive INSERT, UPDATE, DELETE or ALL policy for an API role is always true, on any table.",
  check: (ctx) => {
    const out: LintHit[] = [];
    for (const t of ctx.catalog.tables) {
      if (!t.rlsEnabled || ctx.tenantColumnOf(t)) continue;
      for (const p of t.policies) {
        const roles = apiRolesOf(ctx, p);
        if (p.mode !== "PERMISSIVE" || roles.length === 0 || p.command === "SELECT") continue;
        // Without WITH CHECK, UPDATE and ALL check new rows with USING.
        const using = p.command !== "INSERT" && isAlwaysTrue(ctx, p.using);
        const withCheck =
          p.command !== "DELETE" && (p.withCheck === null ? using : isAlwaysTrue(ctx, p.withCheck));
        if (!using && !withCheck) continue;
        const clauses = [using ? "USING" : "", withCheck ? "WITH CHECK" : ""].filter(Boolean);
        out.push({
          subject: `${keyOf(t)} policy ${p.name}`,
          message: `policy ${p.name} on ${keyOf(t)} (${p.command} to ${roles.join(", ")}) has an always-true ${clauses.join(" and ")} (${p.using ?? p.withCheck}): every row is writable by ${roles.join(", ")}`,
          fix: `restrict it to the caller's rows (e.g. owner_id = (select auth.uid())), or drop it if only service_role writes ${keyOf(t)}`,
        });
      }
    }
    return out;
  },
};
