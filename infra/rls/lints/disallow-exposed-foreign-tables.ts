import type { LintRule } from "./rule";
import { keyOf } from "./rule";

/** Foreign tables have no RLS: every API role that can read one reads all of it. */
export const disallowExposedForeignTables: LintRule = {
  id: "disallow-exposed-foreign-tables",
  severity: "medium",
  description: "No foreign table in an exposed schema is readable by the API roles.",
  check: ({ catalog, exposed }) =>
    (catalog.foreignTables ?? [])
      .filter((f) => !f.extension && exposed.has(f.schema) && f.readableBy.length > 0)
      .map((f) => ({
        subject: keyOf(f),
        message: `foreign table ${keyOf(f)} is readable by ${f.readableBy.join(", ")} through the API; RLS does not apply to foreign tables`,
        fix: `REVOKE ALL ON ${keyOf(f)} FROM ${f.readableBy.join(", ")}, or move it to a schema the API does not expose`,
      })),
};
