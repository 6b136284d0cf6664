/**
 * Legacy Supabase `service_role` keys are JWTs that look like any other JWT
 * (`eyJ…`), including the public `anon` key. Only the payload tells them
 * apart, so the rule decodes it and reports a token whose `role` claim is
 * `service_role`; the anon key and other JWTs are left alone.
 */
import type { DetectorInfo } from "../types";
import { createPatternRule } from "./pattern-rule";

export const disallowSupabaseServiceRoleJwt: DetectorInfo = {
  id: "disallow-supabase-service-role-jwt",
  description:
    "Reports JWTs whose payload claims role service_role: legacy Supabase keys that bypass row-level security.",
  severity: "critical",
  rotate:
    "move server code to a new secret API key (sb_secret_…) first, because the legacy key dies only with the project's JWT secret and that also invalidates the anon key and every session at once; then disable the legacy keys (Project Settings → API Keys) or rotate the JWT secret",
};

/** The claims of a JWT, or null when the middle segment is not base64url JSON. */
export function decodeJwtPayload(token: string): Record<string, unknown> | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export const supabaseServiceRoleJwtRule = createPatternRule({
  ruleId: "runbooks/supabase-service-role-jwt",
  messageId: "SUPABASE_SERVICE_ROLE_JWT",
  title: "Supabase service_role JWT",
  pattern:
    /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}(?![A-Za-z0-9_-])/g,
  accept: (token) => decodeJwtPayload(token)?.role === "service_role",
});
