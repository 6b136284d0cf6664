import { describe, expect, it } from "vitest";
import type { LivePolicy } from "../../../../infra/rls/catalog";
import type { LintCatalog, LintTable } from "../../../../infra/rls/lint-catalog";
import { lintRls } from "../../../../infra/rls/lints/index";
import { declareTable } from "../../../../infra/rls/model";
import type { PrivilegeMap } from "../../../../infra/rls/privileges";

const settings = {
  exposedSchemas: ["public"],
  appRole: "authenticated",
  bypassRlsAllowed: ["service_role"],
};

function table(name: string, overrides: Partial<LintTable> = {}): LintTable {
  return {
    schema: "public",
    name,
    rlsEnabled: true,
    rlsForced: true,
    owner: "postgres",
    extension: null,
    ownerIsAppRole: false,
    policies: [],
    ...overrides,
  };
}

function p(name: string, overrides: Partial<LivePolicy> = {}): LivePolicy {
  return {
    name,
    command: "SELECT",
    mode: "PERMISSIVE",
    roles: ["authenticated"],
    using: "(x = 1)",
    withCheck: null,
    ...overrides,
  };
}

function catalog(overrides: Partial<LintCatalog> = {}): LintCatalog {
  return { tables: [], roles: [], views: [], functions: [], ...overrides };
}

describe("lintRls", () => {
  it("a clean, declared, forced table with wrapped calls has no findings", async () => {
    const spec = declareTable({ table: "agents", tenant: { column: "tenant_id" } });
    const stored = "(tenant_id = ((( SELECT auth.jwt() AS jwt) ->> 'tenant_id'::text))::uuid)";
    const live = spec.policies.map((x) =>
      p(x.name, {
        command: x.command,
        using: x.using === null ? null : stored,
        withCheck: x.withCheck === null ? null : stored,
      }),
    );
    const grants: PrivilegeMap = { authenticated: ["SELECT", "INSERT", "UPDATE", "DELETE"] };
    const normalized = new Map([["public.agents", { ok: { declared: live, live } }]]);
    expect(
      await lintRls(
        catalog({
          tables: [table("agents", { policies: live, grants, columns: ["tenant_id"] })],
          normalized,
        }),
        [spec],
        settings,
      ),
    ).toEqual([]);
  });

  it("RLS off: an error in exposed schemas, nothing elsewhere, and nothing when the declaration says off", async () => {
    const findings = await lintRls(
      catalog({
        tables: [
          table("open", { rlsEnabled: false }),
          table("internal", { schema: "private", rlsEnabled: false }),
          table("optout", { rlsEnabled: false, rlsForced: false }),
        ],
      }),
      [declareTable({ table: "optout", enabled: false, force: false })],
      settings,
    );
    expect(findings.map((f) => `${f.id} ${f.subject}`)).toEqual([
      "require-rls-on-exposed-tables public.open",
    ]);
  });

  it("multiple permissive: FOR ALL and TO public count for every command and role; restrictive ones do not", async () => {
    const findings = await lintRls(
      catalog({
        tables: [
          table("t", {
            policies: [
              p("all_public", { command: "ALL", roles: ["public"], withCheck: "(x = 1)" }),
              p("sel_auth"),
              p("narrow", { mode: "RESTRICTIVE" }),
            ],
          }),
        ],
      }),
      [],
      settings,
    );
    const multiple = findings
      .filter((f) => f.id === "disallow-overlapping-permissive-policies")
      .map((f) => f.subject);
    expect(multiple).toEqual(["public.t authenticated SELECT"]);
  });

  it("USING (true) is only an error on tables declared tenant-scoped, and only for API roles", async () => {
    const tenant = declareTable({ table: "t", tenant: { column: "tenant_id" } });
    const open = [
      p("service_all", { command: "ALL", roles: ["service_role"], using: "true" }),
      p("peek", { using: "true" }),
    ];
    const findings = await lintRls(
      catalog({ tables: [table("t", { policies: open }), table("u", { policies: open })] }),
      [tenant],
      settings,
    );
    expect(
      findings.filter((f) => f.id === "disallow-always-true-tenant-policies").map((f) => f.subject),
    ).toEqual(["public.t policy peek"]);
  });

  it("views and functions only count when an API role can reach them; extensions are grouped with a move-schema fix", async () => {
    const findings = await lintRls(
      catalog({
        views: [
          {
            schema: "public",
            name: "hidden",
            kind: "view",
            securityInvoker: false,
            owner: "postgres",
            extension: null,
            readableBy: [],
          },
          {
            schema: "public",
            name: "stats",
            kind: "view",
            securityInvoker: false,
            owner: "postgres",
            extension: "pg_stat_statements",
            readableBy: ["anon"],
          },
          {
            schema: "public",
            name: "totals",
            kind: "materialized",
            securityInvoker: false,
            owner: "postgres",
            extension: null,
            readableBy: ["authenticated"],
          },
        ],
        functions: [
          {
            schema: "public",
            name: "stats_reset",
            signature: "",
            owner: "postgres",
            extension: "pg_stat_statements",
            securityDefiner: true,
            searchPath: null,
            executableBy: ["anon"],
          },
          {
            schema: "public",
            name: "admin_only",
            signature: "uuid",
            owner: "postgres",
            extension: null,
            securityDefiner: true,
            searchPath: "''",
            executableBy: [],
          },
        ],
        extensions: [{ name: "pg_stat_statements", schema: "public" }],
      }),
      [],
      settings,
    );
    expect(findings.map((f) => `${f.severity} ${f.id} ${f.subject}`)).toEqual([
      "medium disallow-extensions-in-exposed-schemas extension pg_stat_statements",
      "medium disallow-exposed-materialized-views public.totals",
    ]);
    expect(findings[0]!.message).toContain("public.stats, public.stats_reset()");
  });

  it("BYPASSRLS: superusers and allowed roles pass, others are errors", async () => {
    const findings = await lintRls(
      catalog({
        roles: [
          { name: "postgres", superuser: true, bypassRls: true },
          { name: "service_role", superuser: false, bypassRls: true },
          { name: "etl", superuser: false, bypassRls: true },
        ],
      }),
      [],
      settings,
    );
    expect(findings.map((f) => f.subject)).toEqual(["role etl"]);
  });

  it("sorts the most severe first, each finding with its fix", async () => {
    const findings = await lintRls(
      catalog({ tables: [table("locked"), table("open", { rlsEnabled: false })] }),
      [],
      settings,
    );
    expect(findings.map((f) => f.severity)).toEqual(["high", "medium"]);
    expect(findings[0]!.fix).toContain("declare it in runbooks:rls.tables");
  });
});
