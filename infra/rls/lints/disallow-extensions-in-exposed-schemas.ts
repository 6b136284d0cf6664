import type { LintHit, LintRule } from "./rule";
import { keyOf } from "./rule";

/**
 * Objects an extension installed in an exposed schema are reachable through
 * the API and are not the app's to alter one by one: one finding per
 * extension, whose fix is to move the extension.
 */
export const disallowExtensionsInExposedSchemas: LintRule = {
  id: "disallow-extensions-in-exposed-schemas",
  severity: "medium",
  description: "No extension installs API-reachable objects in a schema the API exposes.",
  check: ({ catalog, exposed }) => {
    const byExtension = new Map<string, { schema: string; objects: string[] }>();
    const add = (extension: string, schema: string, object: string) => {
      const entry = byExtension.get(extension) ?? { schema, objects: [] };
      entry.objects.push(object);
      byExtension.set(extension, entry);
    };
    for (const t of catalog.tables)
      if (t.extension && exposed.has(t.schema) && !t.rlsEnabled)
        add(t.extension, t.schema, keyOf(t));
    for (const v of catalog.views)
      if (v.extension && v.readableBy.length > 0) add(v.extension, v.schema, keyOf(v));
    for (const f of catalog.functions)
      if (f.extension && f.executableBy.length > 0)
        add(f.extension, f.schema, `${f.schema}.${f.name}(${f.signature})`);
    const out: LintHit[] = [];
    for (const [extension, { schema, objects }] of byExtension) {
      const shown =
        objects.slice(0, 5).join(", ") +
        (objects.length > 5 ? `, … (${objects.length} in all)` : "");
      out.push({
        subject: `extension ${extension}`,
        message: `extension ${extension} is installed in the exposed schema '${schema}'; the API can reach ${shown}, which RLS does not cover`,
        fix: `CREATE SCHEMA IF NOT EXISTS extensions; ALTER EXTENSION ${extension} SET SCHEMA extensions`,
      });
    }
    return out;
  },
};
