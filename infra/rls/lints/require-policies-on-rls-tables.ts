import type { LintRule } from "./rule";
import { keyOf } from "./rule";

/** RLS on with no policy locks every API role out: usually a forgotten declaration. */
export const requirePoliciesOnRlsTables: LintRule = {
  id: "require-policies-on-rls-tables",
  severity: "medium",
  description: "A table with RLS enabled has at least one policy, or no API role can reach it.",
  check: ({ catalog, settings, where }) =>
    catalog.tables
      .filter((t) => t.rlsEnabled && t.policies.length === 0)
      .map((t) => ({
        subject: keyOf(t),
        message: `${keyOf(t)} has RLS on and no policy: only superusers and BYPASSRLS roles can touch it`,
        fix: `declare policies for ${keyOf(t)} in ${where}, or, if only service_role should reach it, revoke the API roles' grants: REVOKE ALL ON ${keyOf(t)} FROM anon, ${settings.appRole}`,
      })),
};
