import { onTypes, type RunbooksResourcePolicy } from "../lib/policy";
import { RLS_TABLE_TYPE } from "../lib/types";
import { rlsTableFacts } from "./rls-table";

/** RLS off, or not forced for the owner, fails open: every tenant's rows to every caller. */
export const requireForcedRlsOnTenantTables: RunbooksResourcePolicy = {
  name: "require-forced-rls-on-tenant-tables",
  description:
    "Every tenant-scoped table has row-level security enabled and forced, so neither the API roles nor the table owner bypass it.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Remove enabled: false / force: false from the table's declaration in runbooks:rls.tables (or RLS_TABLES_IN_CODE); both default to true.",
  tags: ["rls", "postgres", "tenancy"],
  validateResource: onTypes([RLS_TABLE_TYPE], (args, report) => {
    const { key, spec } = rlsTableFacts(args);
    if (!spec.tenantColumn) return;
    if (!spec.enabled)
      report(`${key} is tenant-scoped by ${spec.tenantColumn} but row-level security is disabled`);
    else if (!spec.force)
      report(
        `${key} is tenant-scoped by ${spec.tenantColumn} but row-level security is not forced, so the table owner bypasses it`,
      );
  }),
};
