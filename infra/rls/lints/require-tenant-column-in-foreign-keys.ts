import type { LintHit, LintRule } from "./rule";
import { keyOf } from "./rule";

/**
 * Foreign-key checks ignore RLS: with `agents.project_id → projects(id)`, a
 * member of tenant A inserts an agent of A pointing at B's project — RLS and
 * the key both pass — learning that B's id exists and letting B's cascades
 * reach A's rows. A key that includes the tenant column cannot cross tenants.
 */
export const requireTenantColumnInForeignKeys: LintRule = {
  id: "require-tenant-column-in-foreign-keys",
  severity: "high",
  description:
    "A foreign key from a tenant table to another tenant table includes the tenant column on both sides.",
  check: (ctx) => {
    const out: LintHit[] = [];
    for (const t of ctx.catalog.tables) {
      const column = ctx.tenantColumnOf(t);
      if (!column) continue;
      for (const fk of t.foreignKeys ?? []) {
        const parent = ctx.liveByKey.get(`${fk.parentSchema}.${fk.parentTable}`);
        const parentColumn = parent ? ctx.tenantColumnOf(parent) : undefined;
        if (!parent || !parentColumn) continue;
        const scoped = fk.columns.some(
          (c, i) => c === column && fk.parentColumns[i] === parentColumn,
        );
        if (scoped) continue;
        const parentKey = keyOf(parent);
        out.push({
          subject: `${keyOf(t)} foreign key ${fk.name}`,
          message: `foreign key ${fk.name} (${fk.columns.join(", ")}) → ${parentKey} (${fk.parentColumns.join(", ")}) does not include ${column}: a tenant can point its rows at another tenant's ${parentKey} row (foreign-key checks ignore RLS), learn that it exists, and be reached by its cascades`,
          fix:
            `ALTER TABLE ${parentKey} ADD UNIQUE (${parentColumn}, ${fk.parentColumns.join(", ")}); ` +
            `ALTER TABLE ${keyOf(t)} DROP CONSTRAINT ${fk.name}, ADD FOREIGN KEY (${column}, ${fk.columns.join(", ")}) REFERENCES ${parentKey} (${parentColumn}, ${fk.parentColumns.join(", ")})`,
        });
      }
    }
    return out;
  },
};
