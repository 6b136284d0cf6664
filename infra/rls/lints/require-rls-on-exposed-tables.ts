import type { LintRule } from "./rule";
import { keyOf } from "./rule";

/** RLS off on an exposed table fails open: every API role with a grant reads and writes every row. */
export const requireRlsOnExposedTables: LintRule = {
  id: "require-rls-on-exposed-tables",
  severity: "high",
  description: "Every table in a schema the API exposes has row level security enabled.",
  check: ({ catalog, exposed, declaredByKey, where }) =>
    catalog.tables
      .filter((t) => !t.extension && exposed.has(t.schema) && !t.rlsEnabled)
      // Declared with `enabled: false` on purpose: drift and review cover that choice.
      .filter((t) => declaredByKey.get(keyOf(t))?.enabled !== false)
      .map((t) => ({
        subject: keyOf(t),
        message: `${keyOf(t)} is in the exposed schema '${t.schema}' and has row level security OFF: every API role with a grant reads and writes every row`,
        fix: `declare it in ${where} (enabled: true, with policies), or run: ALTER TABLE ${keyOf(t)} ENABLE ROW LEVEL SECURITY`,
      })),
};
