import type { LintRule } from "./rule";
import { tableKey } from "../model";

/** A declaration for a table that does not exist protects nothing, and `up` will fail on it. */
export const requireDeclaredTablesExist: LintRule = {
  id: "require-declared-tables-exist",
  severity: "high",
  description: "Every table declared for RLS exists in the database.",
  check: ({ declared, liveByKey, where }) =>
    declared
      .filter((t) => !liveByKey.has(tableKey(t)))
      .map((t) => ({
        subject: tableKey(t),
        message: `${tableKey(t)} is declared but does not exist`,
        fix: `run the migration that creates it, or remove it from ${where}`,
      })),
};
