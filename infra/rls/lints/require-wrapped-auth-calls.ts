import { findUnwrappedAuthCalls } from "../expressions";
import type { LintHit, LintRule } from "./rule";
import { keyOf } from "./rule";

/**
 * `auth.uid()` or `current_setting(…)` outside `(select …)` is evaluated for
 * every row scanned, not once per statement.
 */
export const requireWrappedAuthCalls: LintRule = {
  id: "require-wrapped-auth-calls",
  severity: "medium",
  description:
    "Policies call auth.*() and current_setting() inside (select …), so Postgres evaluates them once per statement.",
  async check({ catalog }) {
    const out: LintHit[] = [];
    for (const t of catalog.tables) {
      for (const p of t.policies) {
        for (const [clause, expression] of [
          ["USING", p.using],
          ["WITH CHECK", p.withCheck],
        ] as const) {
          if (expression === null) continue;
          const calls = await findUnwrappedAuthCalls(expression).catch(() => []);
          if (calls.length === 0) continue;
          const names = [...new Set(calls.map((c) => c.call))];
          out.push({
            subject: `${keyOf(t)} policy ${p.name}`,
            message: `${clause} of ${p.name} calls ${names.join(", ")} outside a (select …): Postgres evaluates it for every row scanned`,
            fix: `write ${names.map((c) => `(select ${c})`).join(", ")} instead (declared policies are rewritten this way automatically)`,
          });
        }
      }
    }
    return out;
  },
};
