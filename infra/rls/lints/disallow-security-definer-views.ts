import type { LintRule } from "./rule";
import { keyOf } from "./rule";

/** A view runs with its owner's rights unless security_invoker is set, so the tables' RLS never applies. */
export const disallowSecurityDefinerViews: LintRule = {
  id: "disallow-security-definer-views",
  severity: "high",
  description: "Views the API roles can read run with the caller's rights (security_invoker).",
  check: ({ catalog }) =>
    catalog.views
      .filter((v) => !v.extension && v.readableBy.length > 0)
      .filter((v) => v.kind === "view" && !v.securityInvoker)
      .map((v) => ({
        subject: keyOf(v),
        message: `view ${keyOf(v)} is readable by ${v.readableBy.join(", ")} and runs with its owner's (${v.owner}) rights, so the RLS of the tables it reads does not apply`,
        fix: `ALTER VIEW ${keyOf(v)} SET (security_invoker = true), or REVOKE SELECT ON ${keyOf(v)} FROM ${v.readableBy.join(", ")}`,
      })),
};
