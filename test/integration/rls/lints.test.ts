/**
 * Lints against a real, deliberately broken schema — each rule fires on its
 * defect, and the correct example app raises no error. The command itself
 * (exit codes, --json, no credential in output) is tested in
 * test/integration/scripts/rls-lint.test.ts.
 */
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyTable } from "../../../infra/rls/apply";
import { readLintCatalog } from "../../../infra/rls/lint-catalog";
import { closePools, withConnection } from "../../../infra/postgres/client";
import { APP_RLS_TABLES } from "../../../infra/local/example-app/rls";
import type { Finding } from "../../../infra/lib/findings";
import { lintRls } from "../../../infra/rls/lints/index";
import { declareTable, type TableSpec } from "../../../infra/rls/model";
import { services } from "../../support/services";
import { appDatabase, type TestDatabase } from "./helpers";

let broken: TestDatabase;
let correct: TestDatabase;
// Roles are cluster-wide and other test files run at the same time: unique names, dropped at the end.
const suffix = `${process.pid}`;
const appOwner = `lint_app_owner_${suffix}`;
const sneaky = `lint_sneaky_${suffix}`;

const settings = {
  exposedSchemas: ["public"],
  appRole: "authenticated",
  bypassRlsAllowed: ["service_role"],
};
const lock = { lockTimeoutSeconds: 2, lockRetries: 0 };

async function lint(
  db: TestDatabase,
  declared: TableSpec[],
  overrides: Partial<typeof settings> = {},
): Promise<Finding[]> {
  const s = { ...settings, ...overrides };
  const catalog = await withConnection({ connectionString: db.url }, "lint", (client) =>
    readLintCatalog(client, { ...s, declared }),
  );
  return lintRls(catalog, declared, s);
}

const declaredBroken: TableSpec[] = [
  declareTable({ table: "projects", tenant: { column: "tenant_id" } }),
  declareTable({ table: "ghost", tenant: { column: "tenant_id" } }),
];

beforeAll(async () => {
  broken = await appDatabase("rls_lint_broken");
  correct = await appDatabase("rls_lint_ok");
  await broken.sql(`
    create role ${appOwner} nologin;
    -- no RLS at all on an exposed table
    create table public.leaky (id int primary key, secret text);
    -- owned by the app role, RLS on but not forced
    create table public.owned_by_app (id int primary key);
    alter table public.owned_by_app owner to ${appOwner};
    alter table public.owned_by_app enable row level security;
    create policy owner_all on public.owned_by_app for all to ${appOwner} using (true);
    -- RLS on, no policy: locked out
    create table public.locked (id int primary key);
    alter table public.locked enable row level security;
    -- tenant table with a wide-open policy, an unwrapped auth.uid(), and two permissive SELECTs
    alter table public.projects enable row level security;
    alter table public.projects force row level security;
    create policy open_read on public.projects for select to authenticated using (true);
    create policy mine on public.projects for select to authenticated using (created_by = auth.uid());
    -- a definer view and a definer function the API can reach
    create view public.all_projects as select * from public.projects;
    create view public.safe_projects with (security_invoker = true) as select * from public.projects;
    create function public.peek() returns bigint language sql security definer as $$ select count(*) from public.projects $$;
    grant execute on function public.peek() to anon;
  `);
  for (const t of APP_RLS_TABLES) await applyTable(correct.url, declareTable(t), undefined, lock);
});

afterAll(async () => {
  await closePools();
  await broken?.drop();
  await correct?.drop();
  // The role owned objects in `broken` only, which is gone now.
  const admin = new Client({ connectionString: services().postgres.adminUrl });
  await admin.connect();
  await admin
    .query(`drop role if exists ${appOwner}; drop role if exists ${sneaky}`)
    .finally(() => admin.end());
});

function find(findings: Finding[], rule: Finding["id"], object: string): Finding | undefined {
  return findings.find((f) => f.id === rule && f.subject === object);
}

describe("lints on a broken schema", () => {
  it("finds each defect with its severity and a concrete fix", async () => {
    // Roles are cluster-wide: this one exists only while this test runs.
    await broken.sql(`create role ${sneaky} nologin bypassrls`);
    let findings: Finding[];
    try {
      findings = await lint(broken, declaredBroken, { appRole: appOwner });
    } finally {
      await broken.sql(`drop role ${sneaky}`);
    }
    expect(find(findings, "require-rls-on-exposed-tables", "public.leaky")).toMatchObject({
      severity: "high",
      fix: expect.stringContaining("ALTER TABLE public.leaky ENABLE ROW LEVEL SECURITY"),
    });
    expect(find(findings, "require-forced-rls-for-owner", "public.owned_by_app")).toMatchObject({
      severity: "high",
      fix: expect.stringContaining("FORCE ROW LEVEL SECURITY"),
    });
    expect(find(findings, "require-policies-on-rls-tables", "public.locked")).toMatchObject({
      severity: "medium",
    });
    expect(find(findings, "disallow-unapproved-bypassrls", `role ${sneaky}`)).toMatchObject({
      severity: "high",
      fix: expect.stringContaining(`ALTER ROLE ${sneaky} NOBYPASSRLS`),
    });
    expect(find(findings, "disallow-unapproved-bypassrls", "role service_role")).toBeUndefined();
    expect(
      find(findings, "disallow-always-true-tenant-policies", "public.projects policy open_read"),
    ).toMatchObject({
      severity: "high",
    });
    expect(
      find(findings, "require-wrapped-auth-calls", "public.projects policy mine"),
    ).toMatchObject({
      severity: "medium",
      fix: expect.stringContaining("(select auth.uid())"),
    });
    expect(
      find(
        findings,
        "disallow-overlapping-permissive-policies",
        "public.projects authenticated SELECT",
      ),
    ).toMatchObject({
      severity: "medium",
      message: expect.stringContaining("(mine, open_read)"),
    });
    expect(find(findings, "disallow-security-definer-views", "public.all_projects")).toMatchObject({
      severity: "high",
      fix: expect.stringContaining("security_invoker = true"),
    });
    expect(
      find(findings, "disallow-security-definer-views", "public.safe_projects"),
    ).toBeUndefined();
    expect(
      find(findings, "disallow-exposed-security-definer-functions", "public.peek()"),
    ).toMatchObject({
      severity: "medium",
    });
    // The harness installs pg_stat_statements in public; Supabase keeps it in `extensions`.
    expect(
      find(findings, "disallow-extensions-in-exposed-schemas", "extension pg_stat_statements"),
    ).toMatchObject({
      severity: "medium",
      fix: expect.stringContaining("ALTER EXTENSION pg_stat_statements SET SCHEMA extensions"),
    });
    expect(
      find(findings, "disallow-security-definer-views", "public.pg_stat_statements"),
    ).toBeUndefined();
    expect(find(findings, "require-declared-tables-exist", "public.ghost")).toMatchObject({
      severity: "high",
    });
    expect(
      find(findings, "require-live-rls-to-match-declaration", "public.projects"),
    ).toMatchObject({
      message: expect.stringContaining("policy tenant_isolation_delete was dropped"),
    });
    expect(
      find(findings, "disallow-undeclared-policies", "public.projects policy open_read"),
    ).toBeDefined();
  });

  it("passes the example app with its declarations: no errors", async () => {
    const declared = APP_RLS_TABLES.map((t) => declareTable(t));
    const findings = await lint(correct, declared);
    expect(findings.filter((f) => f.severity === "high")).toEqual([]);
    expect(findings.some((f) => f.id === "require-wrapped-auth-calls")).toBe(false);
    // Normalized through temporary tables, every declared expression reads back as live.
    expect(findings.filter((f) => f.id === "require-live-rls-to-match-declaration")).toEqual([]);
  });

  it("compares declared with live: an edited expression, widened roles, a new command and a grant", async () => {
    const edited = await appDatabase("rls_lint_edited");
    try {
      const declared = APP_RLS_TABLES.map((t) => declareTable(t));
      for (const t of declared) await applyTable(edited.url, t, undefined, lock);
      await edited.sql(`
        alter policy member_read on public.tenants using (true);
        alter policy tenant_isolation_select on public.projects to anon, authenticated;
        drop policy owner_only_delete on public.user_preferences;
        create policy owner_only_delete on public.user_preferences as permissive for all to authenticated using (user_id = (select auth.uid()));
        grant truncate on public.plans to anon;`);
      // A backup-like reader holds every table: the lint must not need more than ACCESS SHARE.
      const reader = new Client({ connectionString: edited.url });
      await reader.connect();
      await reader.query(
        "begin; lock table public.tenants, public.projects, public.user_preferences, public.plans in access share mode",
      );
      let findings: Finding[];
      try {
        findings = (await lint(edited, declared)).filter(
          (f) => f.id === "require-live-rls-to-match-declaration",
        );
      } finally {
        await reader.query("rollback");
        await reader.end();
      }
      const bySubject = Object.fromEntries(findings.map((f) => [f.subject, f.message]));
      expect(bySubject["public.tenants"]).toMatch(
        /policy member_read: USING changed: expected .*, live true/,
      );
      expect(bySubject["public.projects"]).toContain(
        "policy tenant_isolation_select: roles changed [authenticated] → [anon, authenticated]",
      );
      expect(bySubject["public.user_preferences"]).toContain(
        "policy owner_only_delete: command changed DELETE → ALL",
      );
      expect(bySubject["public.plans"]).toContain("TRUNCATE was granted to anon");
      expect(Object.keys(bySubject).sort()).toEqual([
        "public.plans",
        "public.projects",
        "public.tenants",
        "public.user_preferences",
      ]);
    } finally {
      await edited.drop();
    }
  });
});
