/**
 * Supabase personal access tokens (`sbp_` and 40 hex digits; the Supabase
 * CLI rejects anything else with "Must be like sbp_0102...1920") act on the
 * Management API for every project and organisation of their owner: they can
 * read every project's keys, which makes them worse than one project's key.
 */
import type { DetectorInfo } from "../types";
import { createPatternRule, looksRandom } from "./pattern-rule";

export const disallowSupabaseAccessToken: DetectorInfo = {
  id: "disallow-supabase-access-token",
  description:
    "Reports Supabase personal access tokens (sbp_…), which manage every project of their owner.",
  severity: "critical",
  rotate:
    "revoke the token at supabase.com/dashboard/account/tokens and issue a new one to the CI secret or machine that needs it",
};

export const supabaseAccessTokenRule = createPatternRule({
  ruleId: "runbooks/supabase-access-token",
  messageId: "SUPABASE_ACCESS_TOKEN",
  title: "Supabase personal access token",
  pattern: /(?<![A-Za-z0-9_])sbp_(?:oauth_)?[a-f0-9]{40}(?![A-Za-z0-9_])/g,
  accept: (match) => looksRandom(match.slice(-40), 6),
});
