import { RLS_BYPASSING_PRIVILEGES } from "../privileges";
import type { LintHit, LintRule } from "./rule";
import { keyOf } from "./rule";

/**
 * RLS filters rows; TRUNCATE empties the table for every tenant, TRIGGER runs
 * code on every tenant's writes, REFERENCES lets a foreign key probe rows it
 * cannot see. Supabase's default grants give the API roles all three.
 */
export const disallowRlsBypassingPrivileges: LintRule = {
  id: "disallow-rls-bypassing-privileges",
  severity: "high",
  description:
    "No API role holds TRUNCATE, TRIGGER or REFERENCES on a table, which RLS does not govern.",
  check: ({ catalog, apiRoles, where }) => {
    const out: LintHit[] = [];
    for (const t of catalog.tables) {
      if (t.extension) continue;
      const held = apiRoles
        .map((role) => ({
          role,
          privileges: (t.apiPrivileges?.[role] ?? []).filter((p) =>
            RLS_BYPASSING_PRIVILEGES.includes(p),
          ),
        }))
        .filter((h) => h.privileges.length > 0);
      if (held.length === 0) continue;
      const roles = held.map((h) => h.role).join(", ");
      const privileges = [...new Set(held.flatMap((h) => h.privileges))];
      out.push({
        subject: keyOf(t),
        message: `${held.map((h) => `${h.role} holds ${h.privileges.join(", ")}`).join("; ")} on ${keyOf(t)}: RLS does not govern ${privileges.join(", ")} (TRUNCATE empties every tenant's rows)`,
        fix: `declare the table in ${where} (its privileges default to SELECT, INSERT, UPDATE, DELETE), or run: REVOKE ${privileges.join(", ")} ON ${keyOf(t)} FROM ${roles}${t.grants?.public?.some((p) => privileges.includes(p)) ? ", PUBLIC" : ""}`,
        details: held.map((h) => `${h.role}: ${(t.apiPrivileges?.[h.role] ?? []).join(", ")}`),
      });
    }
    return out;
  },
};
