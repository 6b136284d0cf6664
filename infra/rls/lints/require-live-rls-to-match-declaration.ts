import type { LintHit, LintRule } from "./rule";
import { keyOf } from "./rule";

/** What is live must be what was declared and reviewed; anything else was changed out of band. */
export const requireLiveRlsToMatchDeclaration: LintRule = {
  id: "require-live-rls-to-match-declaration",
  severity: "high",
  description: "A managed table's RLS flags and declared policies are live as declared.",
  check: ({ catalog, declaredByKey }) => {
    const out: LintHit[] = [];
    for (const t of catalog.tables) {
      const spec = declaredByKey.get(keyOf(t));
      if (!spec) continue;
      const liveNames = new Set(t.policies.map((p) => p.name));
      const missing = spec.policies.filter((p) => !liveNames.has(p.name)).map((p) => p.name);
      const problems = [
        ...(spec.enabled !== t.rlsEnabled
          ? [`RLS is ${t.rlsEnabled ? "on" : "off"} but declared ${spec.enabled ? "on" : "off"}`]
          : []),
        ...(spec.force !== t.rlsForced
          ? [`FORCE is ${t.rlsForced ? "on" : "off"} but declared ${spec.force ? "on" : "off"}`]
          : []),
        ...(missing.length > 0 ? [`declared policies missing: ${missing.join(", ")}`] : []),
      ];
      if (problems.length === 0) continue;
      out.push({
        subject: keyOf(t),
        message: `${keyOf(t)}: ${problems.join("; ")}`,
        fix: "run pulumi up (or pulumi preview --refresh to see the drift first)",
      });
    }
    return out;
  },
};
