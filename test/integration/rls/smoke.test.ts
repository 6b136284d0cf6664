/**
 * rls:smoke against real roles: passes on the example app as declared, fails
 * with the right rows on a leaky variant, and never commits anything.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyTable } from "../../../infra/rls/apply";
import { closePools } from "../../../infra/postgres/client";
import { APP_RLS_TABLES } from "../../../infra/local/example-app/rls";
import { declareTable, type TableSpec } from "../../../infra/rls/model";
import { runSmoke, selectSmokeTables } from "../../../infra/rls/smoke";
import { renderMatrix, type ProbeResult } from "../../../infra/rls/smoke-plan";
import { appDatabase, type TestDatabase } from "./helpers";

let good: TestDatabase;
let leaky: TestDatabase;
const declared: TableSpec[] = APP_RLS_TABLES.map((t) => declareTable(t));
const lock = { lockTimeoutSeconds: 2, lockRetries: 0 };

async function rowCounts(db: TestDatabase) {
  const [row] = await db.sql(
    `select (select count(*) from auth.users)::int as users, (select count(*) from public.tenants)::int as tenants,
            (select count(*) from public.projects)::int as projects, (select count(*) from public.agents)::int as agents,
            (select count(*) from public.tenant_members)::int as members, (select count(*) from public.user_preferences)::int as prefs,
            (select count(*) from public.plans)::int as plans`,
  );
  return row;
}

beforeAll(async () => {
  good = await appDatabase("rls_smoke_ok");
  leaky = await appDatabase("rls_smoke_leaky");
  for (const spec of declared) {
    await applyTable(good.url, spec, undefined, lock);
    await applyTable(leaky.url, spec, undefined, lock);
  }
  // The classic leak: a "temporary" debugging policy that was never removed…
  await leaky.sql(
    `create policy debug_read_all on public.agents for select to authenticated using (true)`,
  );
  // …and a table whose RLS someone switched off during an incident.
  await leaky.sql(`alter table public.user_preferences disable row level security`);
});

afterAll(async () => {
  await closePools();
  await good?.drop();
  await leaky?.drop();
});

describe("rls:smoke", () => {
  it("proves isolation on the correct schema: every probe as declared", async () => {
    const before = await rowCounts(good);
    const report = await runSmoke({
      connectionString: good.url,
      tables: declared,
      appRole: "authenticated",
    });
    expect(report.couldNotCheck).toEqual([]);
    expect(report.mismatches).toEqual([]);
    expect(report.ok).toBe(true);
    const checked = report.tables
      .filter((t) => t.status === "checked")
      .map((t) => t.table)
      .sort();
    expect(checked).toEqual([
      "public.agents",
      "public.plans",
      "public.projects",
      "public.tenant_members",
      "public.user_preferences",
    ]);
    expect(report.tables.find((t) => t.table === "public.tenants")).toMatchObject({
      status: "skipped",
    });
    const agents = report.tables.find((t) => t.table === "public.agents")!.probes;
    const probe = (actor: string, row: string, command: string) =>
      agents.find((p) => p.actor === actor && p.row === row && p.command === command)!;
    expect(probe("tenant_a", "a", "SELECT")).toMatchObject({
      expected: "allowed",
      actual: "allowed",
    });
    expect(probe("tenant_a", "b", "SELECT")).toMatchObject({
      expected: "denied",
      actual: "denied",
      detail: "0 row(s) visible",
    });
    expect(probe("tenant_a", "b", "INSERT")).toMatchObject({
      expected: "denied",
      actual: "denied",
      detail: expect.stringContaining("row-level security"),
    });
    expect(probe("tenant_b", "a", "UPDATE")).toMatchObject({
      expected: "denied",
      actual: "denied",
    });
    expect(probe("tenant_b", "a", "DELETE")).toMatchObject({
      expected: "denied",
      actual: "denied",
    });
    expect(probe("anon", "a", "SELECT")).toMatchObject({ expected: "denied", actual: "denied" });
    expect(probe("service_role", "a", "DELETE")).toMatchObject({
      expected: "allowed",
      actual: "allowed",
    });
    const plans = report.tables.find((t) => t.table === "public.plans")!.probes;
    expect(plans.find((p) => p.actor === "anon" && p.command === "SELECT")).toMatchObject({
      expected: "allowed",
      actual: "allowed",
    });
    expect(plans.find((p) => p.actor === "anon" && p.command === "INSERT")).toMatchObject({
      expected: "denied",
      actual: "denied",
    });
    // Everything was rolled back.
    expect(await rowCounts(good)).toEqual(before);
  });

  it("fails on the leaky schema with exactly the leaking rows", async () => {
    const before = await rowCounts(leaky);
    const report = await runSmoke({
      connectionString: leaky.url,
      tables: declared,
      appRole: "authenticated",
    });
    expect(report.ok).toBe(false);
    const summary = (p: ProbeResult) =>
      `${p.table} ${p.actor} ${p.command} ${p.row}: expected ${p.expected}, got ${p.actual}`;
    expect(report.mismatches.map(summary).sort()).toEqual(
      [
        "public.agents tenant_a SELECT b: expected denied, got allowed",
        "public.agents tenant_b SELECT a: expected denied, got allowed",
        // anon's rows hold: the declaration revoked anon's privileges on a table no policy gives it.
        "public.user_preferences tenant_a DELETE b: expected denied, got allowed",
        "public.user_preferences tenant_a INSERT b: expected denied, got allowed",
        "public.user_preferences tenant_a SELECT b: expected denied, got allowed",
        "public.user_preferences tenant_a UPDATE b: expected denied, got allowed",
        "public.user_preferences tenant_b DELETE a: expected denied, got allowed",
        "public.user_preferences tenant_b INSERT a: expected denied, got allowed",
        "public.user_preferences tenant_b SELECT a: expected denied, got allowed",
        "public.user_preferences tenant_b UPDATE a: expected denied, got allowed",
      ].sort(),
    );
    const matrix = renderMatrix(report);
    expect(matrix).toContain("allowed LEAK");
    expect(matrix).toContain("FAIL: 10 probe(s) did not match the declared policies.");
    expect(await rowCounts(leaky)).toEqual(before);
  });

  it("proves TRUNCATE, TRIGGER and REFERENCES refused to every API role, and no reference across tenants", async () => {
    const report = await runSmoke({
      connectionString: good.url,
      tables: declared,
      appRole: "authenticated",
    });
    const agents = report.tables.find((t) => t.table === "public.agents")!.probes;
    const truncate = agents.filter((p) => p.kind === "privilege" && p.command === "TRUNCATE");
    expect(truncate.map((p) => `${p.role} ${p.actual}`)).toEqual([
      "anon denied",
      "authenticated denied",
    ]);
    // Proven by trying: Postgres' own refusal.
    expect(truncate[0]!.detail).toContain("permission denied for table agents");
    expect(agents.filter((p) => p.kind === "privilege")).toHaveLength(6);
    expect(agents.filter((p) => p.kind === "reference")).toEqual([
      expect.objectContaining({
        via: "agents_tenant_project_fkey (tenant_id, project_id) → public.projects",
        expected: "denied",
        actual: "denied",
        detail: expect.stringContaining("violates foreign key constraint"),
      }),
    ]);
    expect(renderMatrix(report)).toContain(
      "tenant A referencing B's row via agents_tenant_project_fkey (tenant_id, project_id) → public.projects: denied ok",
    );
  });

  it("catches Supabase's default TRUNCATE grant (without running it) and a single-column tenant key", async () => {
    const weak = await appDatabase("rls_smoke_weak");
    try {
      for (const spec of declared) await applyTable(weak.url, spec, undefined, lock);
      await weak.sql(`
        grant truncate on public.projects to anon;
        alter table public.agents drop constraint agents_tenant_project_fkey;
        alter table public.agents add constraint agents_project_id_fkey foreign key (project_id) references public.projects (id);`);
      const before = await rowCounts(weak);
      const report = await runSmoke({
        connectionString: weak.url,
        tables: declared,
        appRole: "authenticated",
      });
      const summary = (p: ProbeResult) =>
        `${p.table} ${p.kind} ${p.role ?? p.actor} ${p.command}: ${p.actual}`;
      expect(report.mismatches.map(summary).sort()).toEqual([
        "public.agents reference tenant_a INSERT: allowed",
        "public.projects privilege anon TRUNCATE: allowed",
      ]);
      const truncate = report.mismatches.find((p) => p.command === "TRUNCATE")!;
      expect(truncate.detail).toBe(
        "anon holds TRUNCATE (not run: it would empty the table for every tenant)",
      );
      expect(await rowCounts(weak)).toEqual(before);
    } finally {
      await weak.drop();
    }
  });

  it("--schemas: picks the declared tables of those schemas, or discovers tenant tables there", async () => {
    await good.sql(`
      create schema if not exists app;
      create table app.tasks (id int primary key, tenant_id uuid not null);
      alter table app.tasks enable row level security;`);
    const keys = (tables: TableSpec[]) => tables.map((t) => `${t.schema}.${t.table}`);
    const options = { connectionString: good.url, exposedSchemas: ["public"] };
    expect(keys(await selectSmokeTables({ ...options, declared, schemas: ["app"] }))).toEqual([]);
    expect(keys(await selectSmokeTables({ ...options, declared, only: "public.plans" }))).toEqual([
      "public.plans",
    ]);
    expect(keys(await selectSmokeTables({ ...options, schemas: ["app"] }))).toEqual(["app.tasks"]);
    expect(keys(await selectSmokeTables(options))).toEqual([
      "public.agents",
      "public.projects",
      "public.tenant_members",
    ]);
  });

  it("reports a table it cannot seed as could-not-check, not as a pass", async () => {
    await good.sql(
      `create table public.weird (id int primary key, tenant_id uuid not null, shape point not null)`,
    );
    await applyTable(
      good.url,
      declareTable({ table: "weird", tenant: { column: "tenant_id" } }),
      undefined,
      lock,
    );
    const report = await runSmoke({
      connectionString: good.url,
      tables: [declareTable({ table: "weird", tenant: { column: "tenant_id" } })],
      appRole: "authenticated",
    });
    expect(report.ok).toBe(false);
    expect(report.couldNotCheck).toEqual(["public.weird"]);
    expect(report.tables[0]!.reason).toContain(
      "cannot generate a value for public.weird.shape (point, NOT NULL, no default)",
    );
    await good.sql(`drop table public.weird`);
  });
});
