import type { LintRule } from "./rule";
import { keyOf } from "./rule";

/** Owners bypass RLS unless it is FORCED; when the app role owns the table, RLS protects nothing. */
export const requireForcedRlsForOwner: LintRule = {
  id: "require-forced-rls-for-owner",
  severity: "high",
  description: "A table the app role owns (or inherits the owner of) has RLS forced.",
  check: ({ catalog, settings, where }) =>
    catalog.tables
      .filter((t) => t.rlsEnabled && !t.rlsForced && t.ownerIsAppRole)
      .map((t) => ({
        subject: keyOf(t),
        message: `${keyOf(t)} is owned by '${t.owner}', whose privileges the app role '${settings.appRole}' has; owners bypass RLS unless it is FORCED`,
        fix: `set force: true for ${keyOf(t)} in ${where}, or run: ALTER TABLE ${keyOf(t)} FORCE ROW LEVEL SECURITY`,
      })),
};
