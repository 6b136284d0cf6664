import type { ResourceValidationArgs } from "@pulumi/policy";
import { requirePoliciesOnRlsTables } from "../../infra/rls/lints/require-policies-on-rls-tables";
import type { PolicySpec, TableSpec } from "../../infra/rls/model";
import { onTypes, type RunbooksResourcePolicy } from "../lib/policy";
import { RLS_TABLE_TYPE } from "../lib/types";
import { DEFAULT_API_ROLES, lintDeclared, rlsTableFacts } from "./rls-table";

export interface ApiRolesConfig {
  /** Roles the app's API requests run as, besides anon and authenticated. */
  apiRoles: string[];
}

const COMMANDS = ["SELECT", "INSERT", "UPDATE", "DELETE"] as const;
type Command = (typeof COMMANDS)[number];

/** The clauses Postgres evaluates for a command (WITH CHECK falls back to USING for ALL/UPDATE). */
function clausesFor(p: PolicySpec, command: Command): (string | null)[] {
  const check = p.withCheck ?? (p.command === "INSERT" ? null : p.using);
  switch (command) {
    case "SELECT":
    case "DELETE":
      return [p.using];
    case "INSERT":
      return [check];
    case "UPDATE":
      return [p.using, check];
  }
}

function mentions(expression: string | null, column: string): boolean {
  return (
    expression !== null &&
    new RegExp(`(^|[^A-Za-z0-9_$"])"?${column}"?($|[^A-Za-z0-9_$"])`).test(expression)
  );
}

/** Commands an API role may run on the table without the tenant column being checked. */
export function uncheckedCommands(spec: TableSpec, apiRoles: readonly string[]): string[] {
  const column = spec.tenantColumn!;
  const forApi = (p: PolicySpec) => p.roles.some((r) => r === "public" || apiRoles.includes(r));
  const applies = (p: PolicySpec, c: Command) => p.command === "ALL" || p.command === c;
  const out: string[] = [];
  for (const command of COMMANDS) {
    const permissive = spec.policies.filter(
      (p) => p.mode === "PERMISSIVE" && forApi(p) && applies(p, command),
    );
    if (permissive.length === 0) continue; // not allowed at all: RLS denies it
    const restricted = spec.policies.some(
      (p) =>
        p.mode === "RESTRICTIVE" &&
        forApi(p) &&
        applies(p, command) &&
        clausesFor(p, command).every((c) => mentions(c, column)),
    );
    if (restricted) continue;
    // Permissive policies are OR-ed: one without the tenant check opens the command.
    for (const p of permissive)
      if (!clausesFor(p, command).every((c) => mentions(c, column)))
        out.push(`${command} through policy ${p.name}`);
  }
  return out;
}

/** Policies OR together: a command reachable through any policy without the tenant check is reachable across tenants. */
export const requireTenantPoliciesForAllowedCommands: RunbooksResourcePolicy = {
  name: "require-tenant-policies-for-allowed-commands",
  description:
    "Every tenant-scoped table has policies, and every command they allow an API role checks the tenant column.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Declare the table with tenantColumn (the helper writes one tenant-checked policy per command), or add the tenant check to the named policy's USING / WITH CHECK; a command no API role needs should have no policy at all.",
  tags: ["rls", "postgres", "tenancy"],
  configSchema: {
    properties: { apiRoles: { type: "array", items: { type: "string" }, default: [] } },
  },
  validateResource: onTypes([RLS_TABLE_TYPE], async (args: ResourceValidationArgs, report) => {
    const apiRoles = [...DEFAULT_API_ROLES, ...args.getConfig<ApiRolesConfig>().apiRoles];
    const { key, spec } = rlsTableFacts(args);
    if (!spec.tenantColumn) return;
    for (const message of await lintDeclared(requirePoliciesOnRlsTables, spec, apiRoles))
      report(message);
    const unchecked = uncheckedCommands(spec, apiRoles);
    if (unchecked.length > 0)
      report(
        `${key} is tenant-scoped by ${spec.tenantColumn}, but ${unchecked.join(", ")} does not check it`,
      );
  }),
};
