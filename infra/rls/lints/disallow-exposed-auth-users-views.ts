import type { LintRule } from "./rule";
import { keyOf } from "./rule";

/** A view over auth.users in an exposed schema puts every user's e-mail and metadata behind the API. */
export const disallowExposedAuthUsersViews: LintRule = {
  id: "disallow-exposed-auth-users-views",
  severity: "high",
  description:
    "No view or materialized view the API roles can read in an exposed schema reads auth.users.",
  check: ({ catalog, exposed }) =>
    catalog.views
      .filter(
        (v) => !v.extension && v.readsAuthUsers && exposed.has(v.schema) && v.readableBy.length > 0,
      )
      .map((v) => ({
        subject: keyOf(v),
        message: `${v.kind === "materialized" ? "materialized view" : "view"} ${keyOf(v)} reads auth.users and is readable by ${v.readableBy.join(", ")} through the API`,
        fix: `REVOKE SELECT ON ${keyOf(v)} FROM ${v.readableBy.join(", ")}, or move it to a schema the API does not expose and read it through a function that checks the caller`,
      })),
};
