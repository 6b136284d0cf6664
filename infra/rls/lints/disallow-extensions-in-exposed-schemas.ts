import type { LintHit, LintRule } from "./rule";
import { keyOf } from "./rule";

/**
 * An extension installed in an exposed schema puts its objects (functions,
 * views, tables) where the API reaches them, and they are not the app's to
 * alter one by one: one finding per extension, whose fix is to move it.
 * plpgsql is the one Postgres itself installs there.
 */
export const disallowExtensionsInExposedSchemas: LintRule = {
  id: "disallow-extensions-in-exposed-schemas",
  severity: "medium",
  description: "No extension is installed in a schema the API exposes.",
  check: ({ catalog, exposed }) => {
    const reachable = new Map<string, string[]>();
    const add = (extension: string | null, object: string) => {
      if (extension) reachable.set(extension, [...(reachable.get(extension) ?? []), object]);
    };
    for (const t of catalog.tables) if (!t.rlsEnabled) add(t.extension, keyOf(t));
    for (const v of catalog.views) if (v.readableBy.length > 0) add(v.extension, keyOf(v));
    for (const f of catalog.functions)
      if (f.executableBy.length > 0) add(f.extension, `${f.schema}.${f.name}(${f.signature})`);
    const out: LintHit[] = [];
    for (const e of catalog.extensions ?? []) {
      if (e.name === "plpgsql" || !exposed.has(e.schema)) continue;
      const objects = reachable.get(e.name) ?? [];
      const shown =
        objects.slice(0, 5).join(", ") +
        (objects.length > 5 ? `, … (${objects.length} in all)` : "");
      out.push({
        subject: `extension ${e.name}`,
        message: `extension ${e.name} is installed in the exposed schema '${e.schema}'${objects.length > 0 ? `; the API can reach ${shown}, which RLS does not cover` : ""}`,
        fix: `CREATE SCHEMA IF NOT EXISTS extensions; ALTER EXTENSION ${e.name} SET SCHEMA extensions`,
      });
    }
    return out;
  },
};
