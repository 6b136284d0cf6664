import type { LintHit, LintRule } from "./rule";
import { keyOf } from "./rule";

/** A policy added by hand on a managed table is a change nobody reviewed, and the next up drops it. */
export const disallowUndeclaredPolicies: LintRule = {
  id: "disallow-undeclared-policies",
  severity: "medium",
  description: "Every live policy on a managed table is declared.",
  check: ({ catalog, declaredByKey, where }) => {
    const out: LintHit[] = [];
    for (const t of catalog.tables) {
      const spec = declaredByKey.get(keyOf(t));
      if (!spec) continue;
      const declaredNames = new Set(spec.policies.map((p) => p.name));
      for (const p of t.policies.filter((p) => !declaredNames.has(p.name))) {
        out.push({
          subject: `${keyOf(t)} policy ${p.name}`,
          message: `policy ${p.name} on ${keyOf(t)} is live but not declared; the next pulumi up drops it`,
          fix: `declare it in ${where} if it is meant to stay`,
        });
      }
    }
    return out;
  },
};
