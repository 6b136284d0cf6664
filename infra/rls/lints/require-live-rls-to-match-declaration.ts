import type { LintHit, LintRule } from "./rule";

/**
 * What is live must be what was declared and reviewed: flags, every declared
 * policy's command, mode, roles and expressions (as Postgres normalizes
 * them), and the API roles' privileges. Anything else was changed out of band,
 * and `up` would change it back.
 */
export const requireLiveRlsToMatchDeclaration: LintRule = {
  id: "require-live-rls-to-match-declaration",
  severity: "high",
  description:
    "A managed table's RLS flags, policies (command, mode, roles, expressions) and privileges are live as declared.",
  check: ({ comparisons, declaredByKey, liveByKey }) => {
    const out: LintHit[] = [];
    for (const [key, c] of comparisons) {
      // Undeclared live policies have their own rule (disallow-undeclared-policies).
      const declared = new Set(declaredByKey.get(key)?.policies.map((p) => p.name));
      const undeclared = (liveByKey.get(key)?.policies ?? [])
        .map((p) => p.name)
        .filter((name) => !declared.has(name));
      const differences = c.differences.filter(
        (d) => !undeclared.some((name) => d.startsWith(`policy ${name} was added`)),
      );
      if (differences.length === 0) continue;
      out.push({
        subject: key,
        message: `${key}: ${differences.join("; ")}`,
        fix: "run pulumi up, which puts the declaration back (npm run rls:drift shows what it would change)",
        details: [
          ...c.plan.map((step) => `up would ${step}`),
          ...(c.expressionsNotCompared
            ? [`expressions not compared: ${c.expressionsNotCompared}`]
            : []),
        ],
      });
    }
    return out;
  },
};
