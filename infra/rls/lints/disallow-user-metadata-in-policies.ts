import type { LintHit, LintRule } from "./rule";
import { analysesOf, keyOf } from "./rule";

/**
 * Users edit their own `user_metadata` (`supabase.auth.updateUser({ data })`),
 * so a policy that reads it lets each user grant themselves access.
 */
export const disallowUserMetadataInPolicies: LintRule = {
  id: "disallow-user-metadata-in-policies",
  severity: "high",
  description:
    "No policy decides access on user_metadata, which every user can edit for themselves.",
  check: (ctx) => {
    const out: LintHit[] = [];
    for (const t of ctx.catalog.tables) {
      for (const p of t.policies) {
        const { using, withCheck } = analysesOf(ctx, p);
        const clauses = [
          using?.facts.readsUserMetadata ? "USING" : "",
          withCheck?.facts.readsUserMetadata ? "WITH CHECK" : "",
        ].filter(Boolean);
        if (clauses.length === 0) continue;
        out.push({
          subject: `${keyOf(t)} policy ${p.name}`,
          message: `${clauses.join(" and ")} of policy ${p.name} on ${keyOf(t)} reads user_metadata, which each user can set for themselves: any user can pass it`,
          fix: "read app_metadata instead ((select auth.jwt()) -> 'app_metadata'), which only the service role can write, or a table the user cannot write",
        });
      }
    }
    return out;
  },
};
