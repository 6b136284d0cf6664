import { describe, expect, it } from "vitest";
import { rlsTableSchema } from "../../../infra/config/index";
import {
  declareTable,
  jwtClaimExpression,
  mergeDeclarations,
  ownerOnlyPolicies,
  policy,
  publicReadPolicy,
  tableFromConfig,
  tenantIsolationPolicies,
} from "../../../infra/rls/model";

describe("helpers", () => {
  it("tenant isolation: one policy per command for the app role, claim read once per statement", () => {
    const policies = tenantIsolationPolicies({ column: "tenant_id" });
    const match = "tenant_id = ((select auth.jwt()) ->> 'tenant_id')::uuid";
    expect(policies).toEqual([
      {
        name: "tenant_isolation_select",
        command: "SELECT",
        mode: "PERMISSIVE",
        roles: ["authenticated"],
        using: match,
        withCheck: null,
      },
      {
        name: "tenant_isolation_insert",
        command: "INSERT",
        mode: "PERMISSIVE",
        roles: ["authenticated"],
        using: null,
        withCheck: match,
      },
      {
        name: "tenant_isolation_update",
        command: "UPDATE",
        mode: "PERMISSIVE",
        roles: ["authenticated"],
        using: match,
        withCheck: match,
      },
      {
        name: "tenant_isolation_delete",
        command: "DELETE",
        mode: "PERMISSIVE",
        roles: ["authenticated"],
        using: match,
        withCheck: null,
      },
    ]);
  });

  it("tenant isolation honours nested claims, the column type, the role, and quotes odd column names", () => {
    const [select] = tenantIsolationPolicies({
      column: "Org",
      claim: "app_metadata.org_id",
      columnType: "bigint",
      role: "member",
    });
    expect(select).toMatchObject({
      roles: ["member"],
      using: `"Org" = ((select auth.jwt()) -> 'app_metadata' ->> 'org_id')::bigint`,
    });
    expect(jwtClaimExpression("it's")).toBe(`(select auth.jwt()) ->> 'it''s'`);
    expect(() => jwtClaimExpression("..")).toThrow("empty");
  });

  it("owner-only compares with (select auth.uid()); public read is SELECT to anon and the app role", () => {
    expect(ownerOnlyPolicies({ column: "user_id" }, { appRole: "app_user" })[0]).toMatchObject({
      roles: ["app_user"],
      using: "user_id = (select auth.uid())",
    });
    expect(publicReadPolicy()).toEqual({
      name: "public_read",
      command: "SELECT",
      mode: "PERMISSIVE",
      roles: ["anon", "authenticated"],
      using: "true",
      withCheck: null,
    });
  });

  it("canonical policies: defaults filled, roles sorted and de-duplicated", () => {
    expect(policy({ name: "p", roles: ["b", "a", "b"], using: "true" })).toEqual({
      name: "p",
      command: "ALL",
      mode: "PERMISSIVE",
      roles: ["a", "b"],
      using: "true",
      withCheck: null,
    });
  });
});

describe("declareTable", () => {
  it("expands helpers plus explicit policies, sorted by name, with the metadata lints and smoke need", () => {
    const spec = declareTable({
      table: "agents",
      tenant: { column: "tenant_id" },
      publicRead: true,
      policies: [{ name: "audit_read", command: "SELECT", roles: ["service_role"], using: "true" }],
    });
    expect(spec).toMatchObject({
      schema: "public",
      table: "agents",
      enabled: true,
      force: true,
      tenantColumn: "tenant_id",
      tenantClaim: "tenant_id",
      ownerColumn: null,
      publicRead: true,
    });
    expect(spec.policies.map((p) => p.name)).toEqual([
      "audit_read",
      "public_read",
      "tenant_isolation_delete",
      "tenant_isolation_insert",
      "tenant_isolation_select",
      "tenant_isolation_update",
    ]);
  });

  it("refuses an explicit policy that collides with a helper's name", () => {
    expect(() =>
      declareTable({
        table: "agents",
        publicRead: true,
        policies: [{ name: "public_read", using: "true" }],
      }),
    ).toThrow("public.agents: policy 'public_read' is declared twice");
  });
});

describe("tableFromConfig", () => {
  it("turns a validated runbooks:rls.tables entry into the same spec as the TypeScript form", () => {
    const config = rlsTableSchema.parse({
      table: "projects",
      tenantColumn: "tenant_id",
      policies: [
        { name: "svc", command: "ALL", roles: ["service_role"], using: "true", withCheck: "true" },
      ],
    });
    expect(tableFromConfig(config)).toEqual(
      declareTable({
        table: "projects",
        tenant: { column: "tenant_id", claim: "tenant_id" },
        policies: [
          {
            name: "svc",
            command: "ALL",
            roles: ["service_role"],
            using: "true",
            withCheck: "true",
          },
        ],
      }),
    );
  });
});

describe("mergeDeclarations", () => {
  it("merges config and code, and names both places when a table is in both", () => {
    const a = declareTable({ table: "a", publicRead: true });
    const b = declareTable({ table: "b", publicRead: true });
    expect(mergeDeclarations([b], [a], "stacks/Pulumi.x.yaml").map((t) => t.table)).toEqual([
      "a",
      "b",
    ]);
    expect(() => mergeDeclarations([a], [a], "stacks/Pulumi.x.yaml")).toThrow(
      "RLS for public.a is declared both in stacks/Pulumi.x.yaml (runbooks:rls.tables) and in TypeScript; keep one of them",
    );
  });
});

describe("privileges in a declaration", () => {
  const ROW = ["SELECT", "INSERT", "UPDATE", "DELETE"];

  it("default: row privileges for the API roles the policies reach, nothing for the others, never TRUNCATE/TRIGGER/REFERENCES", () => {
    expect(declareTable({ table: "agents", tenant: { column: "tenant_id" } }).privileges).toEqual({
      anon: [],
      authenticated: ROW,
      public: [],
    });
    expect(declareTable({ table: "plans", publicRead: true }).privileges).toEqual({
      anon: ROW,
      authenticated: ROW,
      public: [],
    });
    // A policy TO public reaches every API role; PUBLIC itself still gets nothing.
    expect(
      declareTable({ table: "t", policies: [{ name: "p", using: "true" }] }).privileges,
    ).toEqual({ anon: ROW, authenticated: ROW, public: [] });
    // The app role is managed too when it is not `authenticated`.
    expect(
      declareTable({ table: "t", tenant: { column: "tenant_id" } }, { appRole: "app_user" })
        .privileges,
    ).toEqual({ anon: [], app_user: ROW, authenticated: [], public: [] });
  });

  it("explicit privileges per role override the default, from TypeScript and from the stack file", () => {
    const fromCode = declareTable({
      table: "plans",
      publicRead: true,
      privileges: { anon: ["SELECT"], authenticated: ["SELECT", "TRUNCATE", "SELECT"] },
    });
    expect(fromCode.privileges).toEqual({
      anon: ["SELECT"],
      authenticated: ["SELECT", "TRUNCATE"],
      public: [],
    });
    const config = rlsTableSchema.parse({
      table: "plans",
      publicRead: true,
      privileges: { anon: ["SELECT"], authenticated: ["SELECT", "TRUNCATE"] },
    });
    expect(tableFromConfig(config)).toEqual(fromCode);
    expect(rlsTableSchema.safeParse({ table: "t", privileges: { anon: ["DROP"] } }).success).toBe(
      false,
    );
  });

  it("a policy name over 63 bytes is refused with the name Postgres would store", () => {
    const long = `${"é".repeat(30)}_and_more`;
    const result = rlsTableSchema.safeParse({
      table: "t",
      policies: [{ name: long, using: "true" }],
    });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(
      `Postgres would store it as '${"é".repeat(30)}_an'`,
    );
  });
});
