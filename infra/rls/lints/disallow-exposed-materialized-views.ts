import type { LintRule } from "./rule";
import { keyOf } from "./rule";

/** Materialized views have no RLS: whatever they hold, every reader sees. */
export const disallowExposedMaterializedViews: LintRule = {
  id: "disallow-exposed-materialized-views",
  severity: "medium",
  description: "No materialized view in an exposed schema is readable by the API roles.",
  check: ({ catalog, exposed }) =>
    catalog.views
      .filter((v) => !v.extension && v.readableBy.length > 0 && v.kind === "materialized")
      .filter((v) => exposed.has(v.schema))
      .map((v) => ({
        subject: keyOf(v),
        message: `materialized view ${keyOf(v)} is readable by ${v.readableBy.join(", ")}; materialized views have no RLS`,
        fix: `REVOKE SELECT ON ${keyOf(v)} FROM ${v.readableBy.join(", ")}, or move it to a schema the API does not expose`,
      })),
};
