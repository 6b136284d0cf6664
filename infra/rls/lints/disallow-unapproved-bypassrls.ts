import type { LintRule } from "./rule";

/** BYPASSRLS makes every session of a role ignore every policy. */
export const disallowUnapprovedBypassrls: LintRule = {
  id: "disallow-unapproved-bypassrls",
  severity: "high",
  description:
    "Only superusers and the roles in runbooks:database.bypassRlsAllowed have BYPASSRLS.",
  check: ({ catalog, settings }) => {
    const allowed = new Set(settings.bypassRlsAllowed);
    return catalog.roles
      .filter((r) => r.bypassRls && !r.superuser && !allowed.has(r.name))
      .map((r) => ({
        subject: `role ${r.name}`,
        message: `role ${r.name} has BYPASSRLS: every session as ${r.name} ignores every policy`,
        fix: `ALTER ROLE ${r.name} NOBYPASSRLS, or, if it really needs it, add it to runbooks:database.bypassRlsAllowed`,
      }));
  },
};
