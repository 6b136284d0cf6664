import type { LintHit, LintRule } from "./rule";
import { COMMANDS, appliesTo, appliesToCommand, keyOf } from "./rule";

/** Permissive policies OR together: one broad policy silently widens every other one. */
export const disallowOverlappingPermissivePolicies: LintRule = {
  id: "disallow-overlapping-permissive-policies",
  severity: "medium",
  description: "At most one permissive policy applies to each role and command of a table.",
  check: ({ catalog, apiRoles }) => {
    const out: LintHit[] = [];
    for (const t of catalog.tables) {
      const named = t.policies.flatMap((p) => p.roles).filter((r) => r !== "public");
      for (const role of [...new Set([...apiRoles, ...named])]) {
        for (const command of COMMANDS) {
          const permissive = t.policies.filter(
            (p) => p.mode === "PERMISSIVE" && appliesTo(p, role) && appliesToCommand(p, command),
          );
          if (permissive.length < 2) continue;
          out.push({
            subject: `${keyOf(t)} ${role} ${command}`,
            message: `${permissive.length} permissive policies apply to ${role} for ${command} on ${keyOf(t)} (${permissive.map((p) => p.name).join(", ")}): a row passes if ANY of them allows it`,
            fix: "merge them into one policy, or make the narrowing ones AS RESTRICTIVE",
          });
        }
      }
    }
    return out;
  },
};
