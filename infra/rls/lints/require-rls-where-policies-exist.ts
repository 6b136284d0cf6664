import type { LintRule } from "./rule";
import { keyOf } from "./rule";

/** Policies on a table with RLS off do nothing: someone wrote them, and believes they apply. */
export const requireRlsWherePoliciesExist: LintRule = {
  id: "require-rls-where-policies-exist",
  severity: "medium",
  description: "A table that has policies has row level security enabled, so they apply.",
  check: ({ catalog, exposed, declaredByKey }) =>
    catalog.tables
      // In exposed schemas RLS off is already an error of its own (require-rls-on-exposed-tables).
      .filter(
        (t) => !t.extension && !t.rlsEnabled && t.policies.length > 0 && !exposed.has(t.schema),
      )
      .filter((t) => declaredByKey.get(keyOf(t))?.enabled !== false)
      .map((t) => ({
        subject: keyOf(t),
        message: `${keyOf(t)} has ${t.policies.length} polic${t.policies.length === 1 ? "y" : "ies"} (${t.policies.map((p) => p.name).join(", ")}) but row level security is off, so none of them applies`,
        fix: `ALTER TABLE ${keyOf(t)} ENABLE ROW LEVEL SECURITY, or drop the policies`,
      })),
};
