/**
 * `rls:drift`: the declaration against the live database, per table, with
 * what `up` would do — through the function and through the command
 * (`--stack local`, the example app's declarations), with its exit codes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exitCodeFor } from "../../../infra/lib/findings-render";
import { APP_RLS_TABLES } from "../../../infra/local/example-app/rls";
import { closePools } from "../../../infra/postgres/client";
import { applyTable } from "../../../infra/rls/apply";
import {
  driftFindings,
  driftReport,
  driftSummary,
  type DriftReport,
} from "../../../infra/rls/drift";
import { declareTable } from "../../../infra/rls/model";
import { rlsDrift } from "../../../scripts/rls-drift";
import { runScript } from "../checks/helpers";
import { appDatabase, type TestDatabase } from "./helpers";

let db: TestDatabase;
const declared = APP_RLS_TABLES.map((t) => declareTable(t));

const script = async (args: string[]) => {
  const r = await runScript(rlsDrift, args, { env: {} });
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
};
/** The command's exit code for a report: only high and above fail rls:drift. */
const exitOf = (report: DriftReport) => exitCodeFor(driftFindings(report), "high");

beforeAll(async () => {
  db = await appDatabase("rls_drift");
  for (const spec of declared)
    await applyTable(db.url, spec, undefined, { lockTimeoutSeconds: 2, lockRetries: 0 });
});

afterAll(async () => {
  await closePools();
  await db?.drop();
});

describe("rls:drift", () => {
  it("finds every table as declared right after an apply (expressions compared as Postgres stores them)", async () => {
    const report = await driftReport({ connectionString: db.url, tables: declared });
    expect(report.tables.map((t) => `${t.table} ${t.status}`)).toEqual(
      declared.map((t) => `public.${t.table} in sync`),
    );
    expect(exitOf(report)).toBe(0);
    const result = await script(["--stack", "local", "--database-url", db.url]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("6 table(s) as declared; pulumi up would change nothing.");
    expect(result.stdout).toContain("Result: ALL GOOD (exit 0)");
  });

  it("names each difference and what up would do, and exits 1", async () => {
    await db.sql(`
      create policy sneaky on public.tenants for select to anon using (true);
      alter policy tenant_isolation_update on public.agents with check (true);
      revoke delete on public.projects from authenticated;
      alter table public.plans no force row level security;`);
    const report = await driftReport({ connectionString: db.url, tables: declared });
    const by = Object.fromEntries(report.tables.map((t) => [t.table, t]));
    expect(by["public.tenants"]).toMatchObject({
      status: "drifted",
      differences: ["policy sneaky was added (PERMISSIVE SELECT to anon)"],
      plan: ["drop policy sneaky (not declared)"],
    });
    expect(by["public.agents"]!.differences).toEqual([
      expect.stringMatching(
        /^policy tenant_isolation_update: WITH CHECK changed: expected \(tenant_id = .*, live true$/,
      ),
    ]);
    expect(by["public.agents"]!.plan).toEqual([
      "alter policy tenant_isolation_update (WITH CHECK)",
    ]);
    expect(by["public.projects"]).toMatchObject({
      differences: ["DELETE was revoked from authenticated"],
      plan: ["grant DELETE to authenticated"],
    });
    expect(by["public.plans"]!.differences).toEqual([
      "FORCE row level security was removed (the owner now bypasses policies)",
    ]);
    expect(by["public.user_preferences"]!.status).toBe("in sync");
    expect(exitOf(report)).toBe(1);
    expect(driftSummary(report)).toBe(
      "4 of 6 table(s) differ from the declaration; pulumi up puts them back.",
    );

    const human = await script(["--stack", "local", "--database-url", db.url]);
    expect(human.status).toBe(1);
    expect(human.stdout).toMatch(/^HIGH {6}public\.tenants: differs from the declaration/m);
    expect(human.stdout).toContain("policy sneaky was added (PERMISSIVE SELECT to anon)");
    expect(human.stdout).toContain("up would drop policy sneaky (not declared)");
    expect(human.stdout).toContain("fix: pulumi up -s local puts it back");

    const result = await script(["--stack", "local", "--database-url", db.url, "--json"]);
    expect(result.status).toBe(1);
    const json = JSON.parse(result.stdout) as {
      command: string;
      ok: boolean;
      report: { tables: { table: string; status: string }[] };
    };
    expect(json).toMatchObject({ command: "rls:drift", ok: false });
    expect(
      json.report.tables
        .filter((t) => t.status === "drifted")
        .map((t) => t.table)
        .sort(),
    ).toEqual(["public.agents", "public.plans", "public.projects", "public.tenants"]);
  });

  it("--schemas narrows to the declared tables of those schemas; a missing table is drift", async () => {
    const elsewhere = declareTable({
      schema: "app",
      table: "ghost",
      tenant: { column: "tenant_id" },
    });
    const report = await driftReport({
      connectionString: db.url,
      tables: [...declared, elsewhere],
      schemas: ["app"],
    });
    expect(report.tables.map((t) => `${t.table} ${t.status}`)).toEqual(["app.ghost missing"]);
    expect(exitOf(report)).toBe(1);
    expect(
      exitOf(
        await driftReport({ connectionString: db.url, tables: declared, schemas: ["nowhere"] }),
      ),
    ).toBe(2);
    const result = await script([
      "--stack",
      "local",
      "--database-url",
      db.url,
      "--schemas",
      "nowhere",
    ]);
    expect(result.status).toBe(2);
    expect(result.stdout).toContain("no declared tables to compare");
  });

  it("exits 2 without a stack or with a bad --schemas, and never prints the password", async () => {
    const noStack = await script(["--database-url", db.url]);
    expect(noStack.status).toBe(2);
    expect(noStack.stderr).toContain("pass --stack <name>");
    const bad = await script([
      "--stack",
      "local",
      "--database-url",
      db.url,
      "--schemas",
      "Public;drop",
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(
      "--schemas: 'Public;drop' is not a lower-case Postgres identifier",
    );
    const url = new URL(db.url);
    url.port = "1";
    const down = await script(["--stack", "local", "--database-url", url.toString()]);
    expect(down.status).toBe(2);
    expect(down.stdout + down.stderr).not.toContain(decodeURIComponent(url.password));
  });
});
