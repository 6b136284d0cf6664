import { disallowAlwaysTrueTenantPolicies as lint } from "../../infra/rls/lints/disallow-always-true-tenant-policies";
import { onTypes, type RunbooksResourcePolicy } from "../lib/policy";
import { RLS_TABLE_TYPE } from "../lib/types";
import { DEFAULT_API_ROLES, lintDeclared, rlsTableFacts } from "./rls-table";
import type { ApiRolesConfig } from "./require-tenant-policies-for-allowed-commands";

/** The RLS lint of the same id, run on the declaration instead of the live catalog. */
export const disallowAlwaysTrueTenantPolicies: RunbooksResourcePolicy = {
  name: lint.id,
  description: lint.description,
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Drop the policy or restrict it with the tenant check, e.g. tenant_id = ((select auth.jwt()) ->> 'tenant_id')::uuid; a table every tenant may read is not tenant-scoped (declare it with publicRead instead of tenantColumn).",
  tags: ["rls", "postgres", "tenancy"],
  configSchema: {
    properties: { apiRoles: { type: "array", items: { type: "string" }, default: [] } },
  },
  validateResource: onTypes([RLS_TABLE_TYPE], async (args, report) => {
    const apiRoles = [...DEFAULT_API_ROLES, ...args.getConfig<ApiRolesConfig>().apiRoles];
    const { spec } = rlsTableFacts(args);
    for (const message of await lintDeclared(lint, spec, apiRoles)) report(message);
  }),
};
