/**
 * Each lint on a planted problem and on its compliant twin, over catalogs
 * written the way Postgres prints them (pg_get_expr text, aclexplode grants).
 * The expressions go through Postgres' own parser, as in a real run.
 */
import { describe, expect, it } from "vitest";
import type { LivePolicy } from "../../../../infra/rls/catalog";
import type { LintCatalog, LintFunction, LintTable } from "../../../../infra/rls/lint-catalog";
import { lintRls } from "../../../../infra/rls/lints/index";
import { declareTable, type TableSpec } from "../../../../infra/rls/model";
import type { Normalization } from "../../../../infra/rls/normalize";
import type { PrivilegeMap } from "../../../../infra/rls/privileges";

const settings = {
  exposedSchemas: ["public"],
  appRole: "authenticated",
  bypassRlsAllowed: ["service_role"],
};

const ROW = ["SELECT", "INSERT", "UPDATE", "DELETE"] as const;

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
    columns: ["id"],
    apiPrivileges: { anon: [...ROW], authenticated: [...ROW] },
    grants: {},
    foreignKeys: [],
    ...overrides,
  };
}

function policy(name: string, overrides: Partial<LivePolicy> = {}): LivePolicy {
  return {
    name,
    command: "SELECT",
    mode: "PERMISSIVE",
    roles: ["authenticated"],
    using: "(owner = ( SELECT auth.uid() AS uid))",
    withCheck: null,
    ...overrides,
  };
}

function fn(name: string, overrides: Partial<LintFunction> = {}): LintFunction {
  return {
    schema: "public",
    name,
    signature: "",
    owner: "postgres",
    extension: null,
    securityDefiner: false,
    searchPath: "''",
    executableBy: [],
    ...overrides,
  };
}

async function hits(
  rule: string,
  catalog: Partial<LintCatalog>,
  declared: TableSpec[] = [],
): Promise<string[]> {
  const findings = await lintRls(
    { tables: [], roles: [], views: [], functions: [], ...catalog },
    declared,
    settings,
  );
  return findings.filter((f) => f.id === rule).map((f) => f.subject);
}

describe("disallow-always-true-write-policies (any table, any write command)", () => {
  it("flags FOR ALL … USING (true), FOR UPDATE … USING (1 = 1), FOR INSERT … WITH CHECK (true), OR true", async () => {
    const planted = table("open", {
      policies: [
        policy("all_true", { command: "ALL", using: "true" }),
        policy("update_tautology", { command: "UPDATE", using: "(1 = 1)" }),
        policy("insert_anon", {
          command: "INSERT",
          roles: ["anon"],
          using: null,
          withCheck: "true",
        }),
        policy("delete_or_true", {
          command: "DELETE",
          roles: ["public"],
          using: "((owner = ( SELECT auth.uid() AS uid)) OR true)",
        }),
        policy("update_text", {
          command: "UPDATE",
          using: "(owner = ( SELECT auth.uid() AS uid))",
          withCheck: "('a'::text = 'a'::text)",
        }),
      ],
    });
    expect(await hits("disallow-always-true-write-policies", { tables: [planted] })).toEqual([
      "public.open policy all_true",
      "public.open policy delete_or_true",
      "public.open policy insert_anon",
      "public.open policy update_tautology",
      "public.open policy update_text",
    ]);
  });

  it("passes scoped writes, service_role, restrictive and read policies, and AND true", async () => {
    const twin = table("open", {
      policies: [
        policy("all_own", { command: "ALL" }),
        policy("service", { command: "ALL", roles: ["service_role"], using: "true" }),
        policy("narrow", { command: "ALL", mode: "RESTRICTIVE", using: "true" }),
        policy("read_all", { using: "true", roles: ["anon"] }),
        policy("and_true", {
          command: "UPDATE",
          using: "((owner = ( SELECT auth.uid() AS uid)) AND true)",
        }),
        policy("false_or_false", { command: "DELETE", using: "(false OR (1 = 2))" }),
      ],
    });
    expect(await hits("disallow-always-true-write-policies", { tables: [twin] })).toEqual([]);
  });
});

describe("disallow-undeclared-always-true-read-policies", () => {
  const readAll = table("plans", {
    policies: [policy("read_all", { roles: ["anon"], using: "true" })],
  });

  it("flags SELECT USING (true) on a table nobody declared public", async () => {
    expect(
      await hits("disallow-undeclared-always-true-read-policies", { tables: [readAll] }),
    ).toEqual(["public.plans policy read_all"]);
  });

  it("passes it on a table declared publicRead", async () => {
    const declared = [declareTable({ table: "plans", publicRead: true })];
    expect(
      await hits("disallow-undeclared-always-true-read-policies", { tables: [readAll] }, declared),
    ).toEqual([]);
  });
});

describe("disallow-always-true-tenant-policies", () => {
  const tenant = declareTable({ table: "agents", tenant: { column: "tenant_id" } });
  const scoped = "(tenant_id = ((( SELECT auth.jwt() AS jwt) ->> 'tenant_id'::text))::uuid)";

  it("flags WITH CHECK (true) on INSERT and on UPDATE, not only USING (true)", async () => {
    const planted = table("agents", {
      columns: ["id", "tenant_id"],
      policies: [
        policy("ins", { command: "INSERT", using: null, withCheck: "true" }),
        policy("upd", { command: "UPDATE", using: scoped, withCheck: "true" }),
        policy("sel", { using: "true" }),
      ],
    });
    expect(
      await hits("disallow-always-true-tenant-policies", { tables: [planted] }, [tenant]),
    ).toEqual(["public.agents policy ins", "public.agents policy sel", "public.agents policy upd"]);
  });

  it("passes the tenant check in both clauses, and finds tenant tables by column without a stack", async () => {
    const twin = table("agents", {
      columns: ["id", "tenant_id"],
      policies: [
        policy("ins", { command: "INSERT", using: null, withCheck: scoped }),
        policy("upd", { command: "UPDATE", using: scoped, withCheck: scoped }),
      ],
    });
    expect(
      await hits("disallow-always-true-tenant-policies", { tables: [twin] }, [tenant]),
    ).toEqual([]);
    const undeclared = table("agents", {
      columns: ["id", "tenant_id"],
      policies: [policy("ins", { command: "INSERT", using: null, withCheck: "true" })],
    });
    expect(await hits("disallow-always-true-tenant-policies", { tables: [undeclared] })).toEqual([
      "public.agents policy ins",
    ]);
  });
});

describe("require-wrapped-auth-calls (auth.*() and current_setting())", () => {
  it("flags current_setting() and auth.email() evaluated per row", async () => {
    const planted = table("t", {
      policies: [
        policy("setting", {
          using: "(tenant_id = (current_setting('app.tenant'::text, true))::uuid)",
        }),
        policy("email", { using: "(email = auth.email())" }),
      ],
    });
    expect(await hits("require-wrapped-auth-calls", { tables: [planted] })).toEqual([
      "public.t policy email",
      "public.t policy setting",
    ]);
  });

  it("passes them wrapped in (select …), as pg_get_expr prints it", async () => {
    const twin = table("t", {
      policies: [
        policy("setting", {
          using:
            "(tenant_id = (( SELECT current_setting('app.tenant'::text, true) AS current_setting))::uuid)",
        }),
        policy("email", { using: "(email = ( SELECT auth.email() AS email))" }),
      ],
    });
    expect(await hits("require-wrapped-auth-calls", { tables: [twin] })).toEqual([]);
  });
});

describe("disallow-user-metadata-in-policies", () => {
  it("flags a policy that reads user_metadata (jwt or raw_user_meta_data)", async () => {
    const planted = table("admin", {
      policies: [
        policy("by_role", {
          using:
            "(((( SELECT auth.jwt() AS jwt) -> 'user_metadata'::text) ->> 'role'::text) = 'admin'::text)",
        }),
        policy("by_path", {
          command: "INSERT",
          using: null,
          withCheck:
            "((( SELECT auth.jwt() AS jwt) #>> '{user_metadata,tenant}'::text[]) = 'x'::text)",
        }),
        policy("by_user_row", {
          using:
            "(EXISTS ( SELECT 1 FROM auth.users u WHERE ((u.id = ( SELECT auth.uid() AS uid)) AND ((u.raw_user_meta_data ->> 'admin'::text) = 'true'::text))))",
        }),
      ],
    });
    expect(await hits("disallow-user-metadata-in-policies", { tables: [planted] })).toEqual([
      "public.admin policy by_path",
      "public.admin policy by_role",
      "public.admin policy by_user_row",
    ]);
  });

  it("passes app_metadata, which only the service role writes", async () => {
    const twin = table("admin", {
      policies: [
        policy("by_role", {
          using:
            "(((( SELECT auth.jwt() AS jwt) -> 'app_metadata'::text) ->> 'role'::text) = 'admin'::text)",
        }),
      ],
    });
    expect(await hits("disallow-user-metadata-in-policies", { tables: [twin] })).toEqual([]);
  });
});

describe("disallow-null-auth-disjuncts", () => {
  it("flags a top-level OR branch that is true when the session has no user", async () => {
    const planted = table("docs", {
      policies: [
        policy("anon_sees_all", {
          using: "((( SELECT auth.uid() AS uid) IS NULL) OR (owner = ( SELECT auth.uid() AS uid)))",
        }),
        policy("inverted", {
          command: "ALL",
          roles: ["public"],
          using:
            "((NOT (( SELECT auth.uid() AS uid) IS NOT NULL)) OR (owner = ( SELECT auth.uid() AS uid)))",
        }),
        policy("no_claim", {
          using:
            "(((( SELECT auth.jwt() AS jwt) ->> 'tenant_id'::text) IS NULL) OR (tenant_id IS NOT NULL))",
        }),
      ],
    });
    expect(await hits("disallow-null-auth-disjuncts", { tables: [planted] })).toEqual([
      "public.docs policy anon_sees_all",
      "public.docs policy inverted",
      "public.docs policy no_claim",
    ]);
  });

  it("passes the gated form and a NULL test on a column", async () => {
    const twin = table("docs", {
      policies: [
        policy("gated", {
          using:
            "((( SELECT auth.uid() AS uid) IS NOT NULL) AND (owner = ( SELECT auth.uid() AS uid)))",
        }),
        policy("shared", { using: "((owner IS NULL) OR (owner = ( SELECT auth.uid() AS uid)))" }),
        policy("nested", {
          using:
            "((owner = ( SELECT auth.uid() AS uid)) AND ((( SELECT auth.uid() AS uid) IS NULL) OR true))",
        }),
      ],
    });
    expect(await hits("disallow-null-auth-disjuncts", { tables: [twin] })).toEqual([]);
  });
});

describe("search_path of functions", () => {
  it("flags a SECURITY DEFINER function with the caller's search_path (high), and other functions (low)", async () => {
    const functions = [
      fn("definer", { securityDefiner: true, searchPath: null }),
      fn("invoker", { searchPath: null }),
      fn("extension_owned", { securityDefiner: true, searchPath: null, extension: "pgcrypto" }),
    ];
    expect(
      await hits("require-fixed-search-path-on-security-definer-functions", { functions }),
    ).toEqual(["public.definer()"]);
    expect(await hits("require-fixed-search-path-on-functions", { functions })).toEqual([
      "public.invoker()",
    ]);
  });

  it("passes functions that set their own search_path", async () => {
    const functions = [
      fn("definer", { securityDefiner: true, searchPath: "''" }),
      fn("invoker", { searchPath: "pg_catalog, public" }),
    ];
    expect(
      await hits("require-fixed-search-path-on-security-definer-functions", { functions }),
    ).toEqual([]);
    expect(await hits("require-fixed-search-path-on-functions", { functions })).toEqual([]);
  });
});

describe("disallow-rls-bypassing-privileges", () => {
  it("flags TRUNCATE, TRIGGER or REFERENCES held by an API role (Supabase's default grants)", async () => {
    const planted = table("agents", {
      apiPrivileges: {
        anon: [...ROW, "TRUNCATE", "REFERENCES", "TRIGGER"],
        authenticated: [...ROW, "TRUNCATE"],
      },
    });
    const findings = await lintRls(
      { tables: [planted], roles: [], views: [], functions: [] },
      [],
      settings,
    );
    const hit = findings.find((f) => f.id === "disallow-rls-bypassing-privileges");
    expect(hit).toMatchObject({
      severity: "high",
      subject: "public.agents",
      fix: expect.stringContaining(
        "REVOKE TRUNCATE, REFERENCES, TRIGGER ON public.agents FROM anon, authenticated",
      ),
    });
  });

  it("passes the row privileges RLS governs", async () => {
    expect(await hits("disallow-rls-bypassing-privileges", { tables: [table("agents")] })).toEqual(
      [],
    );
  });
});

describe("require-tenant-column-in-foreign-keys", () => {
  const projects = table("projects", { columns: ["id", "tenant_id"] });
  const tenants = table("tenants", { columns: ["id", "name"] });
  const agents = (fk: { columns: string[]; parentColumns: string[]; parentTable?: string }) =>
    table("agents", {
      columns: ["id", "tenant_id", "project_id"],
      foreignKeys: [
        { name: "agents_project_fkey", parentSchema: "public", parentTable: "projects", ...fk },
        {
          name: "agents_tenant_fkey",
          columns: ["tenant_id"],
          parentSchema: "public",
          parentTable: "tenants",
          parentColumns: ["id"],
        },
      ],
    });

  it("flags a single-column key between tenant tables, declared or found by column", async () => {
    const planted = agents({ columns: ["project_id"], parentColumns: ["id"] });
    const tables = [planted, projects, tenants];
    expect(await hits("require-tenant-column-in-foreign-keys", { tables })).toEqual([
      "public.agents foreign key agents_project_fkey",
    ]);
    const declared = [
      declareTable({ table: "agents", tenant: { column: "tenant_id" } }),
      declareTable({ table: "projects", tenant: { column: "tenant_id" } }),
      declareTable({ table: "tenants" }),
    ];
    expect(await hits("require-tenant-column-in-foreign-keys", { tables }, declared)).toEqual([
      "public.agents foreign key agents_project_fkey",
    ]);
  });

  it("passes the composite key (tenant column plus id), and keys to the tenants table itself", async () => {
    const twin = agents({
      columns: ["tenant_id", "project_id"],
      parentColumns: ["tenant_id", "id"],
    });
    expect(
      await hits("require-tenant-column-in-foreign-keys", { tables: [twin, projects, tenants] }),
    ).toEqual([]);
  });
});

describe("exposure rules", () => {
  it("disallow-exposed-foreign-tables: a foreign table the API can read; not one in a private schema", async () => {
    const foreignTables = [
      { schema: "public", name: "remote", readableBy: ["anon"], extension: null },
      { schema: "private", name: "remote", readableBy: ["anon"], extension: null },
      { schema: "public", name: "closed", readableBy: [], extension: null },
    ];
    expect(await hits("disallow-exposed-foreign-tables", { foreignTables })).toEqual([
      "public.remote",
    ]);
  });

  it("require-rls-where-policies-exist: policies on a table with RLS off, outside exposed schemas", async () => {
    const tables = [
      table("jobs", { schema: "private", rlsEnabled: false, policies: [policy("p")] }),
      table("ok", { schema: "private", policies: [policy("p")] }),
      table("bare", { schema: "private", rlsEnabled: false }),
    ];
    expect(await hits("require-rls-where-policies-exist", { tables })).toEqual(["private.jobs"]);
  });

  it("disallow-exposed-auth-users-views: a readable view over auth.users; not a revoked one", async () => {
    const view = {
      schema: "public",
      kind: "view" as const,
      securityInvoker: true,
      owner: "postgres",
      extension: null,
      readsAuthUsers: true,
    };
    const views = [
      { ...view, name: "profiles", readableBy: ["anon", "authenticated"] },
      { ...view, name: "internal_profiles", readableBy: [] },
    ];
    expect(await hits("disallow-exposed-auth-users-views", { views })).toEqual(["public.profiles"]);
  });

  it("disallow-extensions-in-exposed-schemas: any extension in public but plpgsql", async () => {
    const extensions = [
      { name: "citext", schema: "public" },
      { name: "plpgsql", schema: "pg_catalog" },
      { name: "pgcrypto", schema: "extensions" },
    ];
    expect(await hits("disallow-extensions-in-exposed-schemas", { extensions })).toEqual([
      "extension citext",
    ]);
  });
});

describe("require-live-rls-to-match-declaration (expressions, roles, commands, modes, privileges)", () => {
  const spec = declareTable({
    table: "docs",
    policies: [
      {
        name: "read",
        command: "SELECT",
        roles: ["authenticated"],
        using: "owner = (select auth.uid())",
      },
      {
        name: "write",
        command: "UPDATE",
        roles: ["authenticated"],
        using: "owner = (select auth.uid())",
      },
    ],
  });
  const stored = "(owner = ( SELECT auth.uid() AS uid))";
  const asDeclared: LivePolicy[] = [
    policy("read", { using: stored }),
    policy("write", { command: "UPDATE", using: stored }),
  ];
  const grants: PrivilegeMap = { authenticated: [...ROW] };
  const lint = (live: LivePolicy[], liveGrants = grants) =>
    lintRls(
      {
        tables: [table("docs", { policies: live, grants: liveGrants })],
        roles: [],
        views: [],
        functions: [],
        normalized: new Map<string, Normalization>([
          ["public.docs", { ok: { declared: asDeclared, live } }],
        ]),
      },
      [spec],
      settings,
    ).then((f) => f.find((x) => x.id === "require-live-rls-to-match-declaration")?.message);

  it("passes the table exactly as declared", async () => {
    expect(await lint(asDeclared)).toBeUndefined();
  });

  it("names an edited expression, widened roles, a changed command or mode, and a grant", async () => {
    expect(await lint([policy("read", { using: "true" }), asDeclared[1]!])).toContain(
      `policy read: USING changed: expected ${stored}, live true`,
    );
    expect(
      await lint([
        policy("read", { using: stored, roles: ["anon", "authenticated"] }),
        asDeclared[1]!,
      ]),
    ).toContain("policy read: roles changed [authenticated] → [anon, authenticated]");
    expect(
      await lint([policy("read", { using: stored, command: "ALL" }), asDeclared[1]!]),
    ).toContain("policy read: command changed SELECT → ALL");
    expect(
      await lint([policy("read", { using: stored, mode: "RESTRICTIVE" }), asDeclared[1]!]),
    ).toContain("policy read: changed PERMISSIVE → RESTRICTIVE");
    expect(await lint(asDeclared, { authenticated: [...ROW, "TRUNCATE"] })).toContain(
      "TRUNCATE was granted to authenticated",
    );
  });
});
