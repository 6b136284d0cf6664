/**
 * The RLS policies against the local stack's declared tables (recorded under
 * mocks, as `policy:review -s local` does): compliant as declared, then one
 * change per test. The rules are the RLS lints' own where one exists.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { PolicySpec } from "../../../infra/rls/model";
import type { ReviewResource } from "../../../policies/review/evaluate";
import { reviewStack } from "../../../policies/review/review";
import { disallowAlwaysTrueTenantPolicies } from "../../../policies/rls/disallow-always-true-tenant-policies";
import { requireForcedRlsOnTenantTables } from "../../../policies/rls/require-forced-rls-on-tenant-tables";
import { requireTenantPoliciesForAllowedCommands } from "../../../policies/rls/require-tenant-policies-for-allowed-commands";
import { RLS_TABLE_TYPE } from "../../../policies/lib/types";
import { assertHasViolation, assertNoViolations, named, withChange } from "../../support/policies";

const RLS_POLICIES = [
  requireForcedRlsOnTenantTables,
  requireTenantPoliciesForAllowedCommands,
  disallowAlwaysTrueTenantPolicies,
];
let baseline: ReviewResource[];

const agents = named(RLS_TABLE_TYPE, "runbooks-rls-public-agents");
function editAgents(change: (props: Record<string, unknown>) => void) {
  return withChange(baseline, agents, (r) => {
    change(r.inputs);
    change(r.outputs);
  });
}
const policiesOf = (p: Record<string, unknown>) => p.policies as PolicySpec[];

beforeAll(async () => {
  ({ resources: baseline } = await reviewStack({
    stack: "local",
  }));
});

describe("RLS policies", () => {
  it("pass the local stack's declarations, which include tenant-scoped tables", async () => {
    const tables = baseline.filter((r) => r.type === RLS_TABLE_TYPE);
    expect(
      tables.filter((t) => t.inputs.tenantColumn === "tenant_id").length,
    ).toBeGreaterThanOrEqual(3);
    for (const policy of RLS_POLICIES) await assertNoViolations(policy, baseline);
  });

  it("require-forced-rls-on-tenant-tables: disabled, or not forced", async () => {
    await assertHasViolation(
      requireForcedRlsOnTenantTables,
      editAgents((p) => (p.enabled = false)),
      "public.agents is tenant-scoped by tenant_id but row-level security is disabled",
    );
    await assertHasViolation(
      requireForcedRlsOnTenantTables,
      editAgents((p) => (p.force = false)),
      "is not forced",
    );
  });

  it("require-forced-rls-on-tenant-tables: a table that is not tenant-scoped may skip FORCE", async () => {
    const plans = withChange(
      baseline,
      named(RLS_TABLE_TYPE, "runbooks-rls-public-plans"),
      (r) => (r.inputs.force = false),
    );
    await assertNoViolations(requireForcedRlsOnTenantTables, plans);
  });

  it("require-tenant-policies-for-allowed-commands: no policy at all (the lint's rule)", async () => {
    await assertHasViolation(
      requireTenantPoliciesForAllowedCommands,
      editAgents((p) => (p.policies = [])),
      "has RLS on and no policy",
    );
  });

  it("require-tenant-policies-for-allowed-commands: an UPDATE whose WITH CHECK lost the tenant check", async () => {
    const changed = editAgents((p) => {
      const update = policiesOf(p).find((x) => x.command === "UPDATE")!;
      update.withCheck = "(select auth.uid()) is not null";
    });
    await assertHasViolation(
      requireTenantPoliciesForAllowedCommands,
      changed,
      "UPDATE through policy tenant_isolation_update does not check it",
    );
  });

  it("require-tenant-policies-for-allowed-commands: a broad FOR ALL policy ORs past the tenant checks", async () => {
    const changed = editAgents((p) => {
      policiesOf(p).push({
        name: "owners_all",
        command: "ALL",
        mode: "PERMISSIVE",
        roles: ["authenticated"],
        using: "created_by = (select auth.uid())",
        withCheck: null,
      });
    });
    const v = await assertHasViolation(
      requireTenantPoliciesForAllowedCommands,
      changed,
      "SELECT through policy owners_all",
    );
    expect(v.message).toContain("DELETE through policy owners_all");
  });

  it("require-tenant-policies-for-allowed-commands: a restrictive tenant policy covers a broad permissive one", async () => {
    const changed = editAgents((p) => {
      policiesOf(p).splice(
        0,
        policiesOf(p).length,
        {
          name: "members",
          command: "SELECT",
          mode: "PERMISSIVE",
          roles: ["authenticated"],
          using: "true",
          withCheck: null,
        },
        {
          name: "same_tenant",
          command: "ALL",
          mode: "RESTRICTIVE",
          roles: ["authenticated"],
          using: "tenant_id = ((select auth.jwt()) ->> 'tenant_id')::uuid",
          withCheck: null,
        },
      );
    });
    await assertNoViolations(requireTenantPoliciesForAllowedCommands, changed);
  });

  it("disallow-always-true-tenant-policies: USING (true) for anon, WITH CHECK (true) on INSERT, and for an app role from config", async () => {
    const forAnon = editAgents((p) => {
      policiesOf(p).push({
        name: "anon_peek",
        command: "SELECT",
        mode: "PERMISSIVE",
        roles: ["anon"],
        using: "true",
        withCheck: null,
      });
    });
    await assertHasViolation(
      disallowAlwaysTrueTenantPolicies,
      forAnon,
      "policy anon_peek (SELECT to anon) has an always-true USING",
    );
    const insertAnything = editAgents((p) => {
      policiesOf(p).push({
        name: "insert_anywhere",
        command: "INSERT",
        mode: "PERMISSIVE",
        roles: ["authenticated"],
        using: null,
        withCheck: "true",
      });
    });
    await assertHasViolation(
      disallowAlwaysTrueTenantPolicies,
      insertAnything,
      "policy insert_anywhere (INSERT to authenticated) has an always-true WITH CHECK",
    );
    const forApp = editAgents((p) => {
      policiesOf(p).push({
        name: "app_peek",
        command: "SELECT",
        mode: "PERMISSIVE",
        roles: ["app_user"],
        using: "true",
        withCheck: null,
      });
    });
    await assertNoViolations(disallowAlwaysTrueTenantPolicies, forApp);
    await assertHasViolation(disallowAlwaysTrueTenantPolicies, forApp, "policy app_peek", {
      apiRoles: ["app_user"],
    });
  });
});
