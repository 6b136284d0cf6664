/**
 * Supabase secret API keys (`sb_secret_…`) bypass row-level security. The
 * prefix is documented (supabase.com/docs/guides/api/api-keys); the body is
 * base64url (published keys show 22 characters, `_`, and an 8-character
 * check), so any base64url run of 20 or more is matched. Publishable keys
 * (`sb_publishable_…`) are public by design and not reported.
 */
import type { DetectorInfo } from "../types";
import { createPatternRule, looksRandom } from "./pattern-rule";

const PREFIX = "sb_secret_";

export const disallowSupabaseSecretKey: DetectorInfo = {
  id: "disallow-supabase-secret-key",
  description: "Reports Supabase secret API keys (sb_secret_…), which bypass row-level security.",
  severity: "critical",
  rotate:
    "create a new secret API key (Project Settings → API Keys, or POST /v1/projects/{ref}/api-keys), deploy it everywhere the old one is used, then delete the exposed key",
};

export const supabaseSecretKeyRule = createPatternRule({
  ruleId: "runbooks/supabase-secret-key",
  messageId: "SUPABASE_SECRET_KEY",
  title: "Supabase secret API key",
  pattern: /(?<![A-Za-z0-9_-])sb_secret_[A-Za-z0-9_-]{20,}(?![A-Za-z0-9_-])/g,
  accept: (match) => looksRandom(match.slice(PREFIX.length)),
});
