/**
 * `rls:smoke` in-process, through the runner, against real roles: the
 * correct schema passes, the leaky one fails with exactly its leaks, a role
 * that cannot seed past RLS and a server it cannot reach are "could not
 * check" — never a pass — and no password is printed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Finding } from "../../../infra/lib/findings";
import { APP_RLS_TABLES } from "../../../infra/local/example-app/rls";
import { closePools } from "../../../infra/postgres/client";
import { applyTable } from "../../../infra/rls/apply";
import { declareTable } from "../../../infra/rls/model";
import type { ProbeResult } from "../../../infra/rls/smoke-plan";
import { rlsSmoke } from "../../../scripts/rls-smoke";
import { runScript } from "../checks/helpers";
import { appDatabase, type TestDatabase } from "../rls/helpers";

let good: TestDatabase;
let leaky: TestDatabase;
const lock = { lockTimeoutSeconds: 2, lockRetries: 0 };

interface SmokeEnvelope {
  ok: boolean;
  exitCode: number;
  findings: Finding[];
  report: {
    mismatches: ProbeResult[];
    tables: { table: string; status: string; reason: string }[];
  };
}

const smoke = (argv: string[], env: NodeJS.ProcessEnv) => runScript(rlsSmoke, argv, { env });

beforeAll(async () => {
  good = await appDatabase("cli_smoke_ok");
  leaky = await appDatabase("cli_smoke_leaky");
  for (const t of APP_RLS_TABLES) {
    await applyTable(good.url, declareTable(t), undefined, lock);
    await applyTable(leaky.url, declareTable(t), undefined, lock);
  }
  await leaky.sql(
    `create policy debug_read_all on public.agents for select to authenticated using (true)`,
  );
});

afterAll(async () => {
  await closePools();
  await good?.drop();
  await leaky?.drop();
});

describe("rls:smoke", () => {
  it("exits 0 and prints the matrix on the correct schema (tables discovered by tenant column)", async () => {
    const result = await smoke([], { DATABASE_URL: good.url });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("public.agents");
    expect(result.stdout).toMatch(/tenant A\s+B's\s+denied ok/);
    expect(result.stdout).toContain("nothing was written");
    expect(result.stdout).toMatch(/ok {8}public\.agents: \d+ probes, all as declared/);
    expect(result.stdout).toContain("Result: ALL GOOD (exit 0)");
  });

  it("exits 1 with --json listing the mismatches on the leaky schema, each leak critical", async () => {
    const result = await smoke(["--json", "--table", "public.agents"], { DATABASE_URL: leaky.url });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as SmokeEnvelope;
    expect(report).toMatchObject({ ok: false, exitCode: 1 });
    expect(report.report.mismatches.map((m) => `${m.actor} ${m.command} ${m.row}`).sort()).toEqual([
      "tenant_a SELECT b",
      "tenant_b SELECT a",
    ]);
    const leaks = report.findings.filter((f) => f.severity === "critical");
    expect(leaks.map((f) => f.message).sort()).toEqual([
      "public.agents: tenant A SELECT on B's row was allowed, declared denied (a leak)",
      "public.agents: tenant B SELECT on A's row was allowed, declared denied (a leak)",
    ]);
  });

  it("checks the declared tables of a stack with -s, and marks the ones it skips", async () => {
    const result = await smoke(["-s", "local"], { DATABASE_URL: good.url });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/skipped {3}public\.tenants: skipped — /);
    expect(result.stdout).toMatch(/ok {8}public\.user_preferences: \d+ probes, all as declared/);
  });

  it("exits 2 when the connecting role cannot seed past RLS, and says why", async () => {
    const role = `cli_smoke_plain_${process.pid}`;
    await good.sql(`create role ${role} login password 'plain-role-password'`);
    try {
      const url = new URL(good.url);
      url.username = role;
      url.password = "plain-role-password";
      const result = await smoke(["--json"], { DATABASE_URL: url.toString() });
      expect(result.code).toBe(2);
      const report = JSON.parse(result.stdout) as SmokeEnvelope;
      expect(report.exitCode).toBe(2);
      expect(report.report.tables[0]).toMatchObject({
        status: "error",
        reason: expect.stringContaining("cannot write past RLS"),
      });
      expect(report.findings[0]).toMatchObject({ severity: "high", couldNotCheck: true });
      expect(result.stdout + result.stderr).not.toContain("plain-role-password");
      const text = await smoke([], { DATABASE_URL: url.toString() });
      expect(text.stdout).toMatch(/^UNKNOWN {3}public\.\w+: could not check — /m);
      expect(text.stdout).toContain("Result: COULD NOT CHECK (exit 2)");
    } finally {
      await good.sql(`drop role ${role}`);
    }
  });

  it("exits 2 when it cannot connect, without printing the password", async () => {
    const url = new URL(good.url);
    url.port = "1";
    const result = await smoke([], { DATABASE_URL: url.toString() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("could not check");
    expect(result.stdout + result.stderr).not.toContain(decodeURIComponent(url.password));
  });

  it("refuses a flag it does not take and a stack that does not exist", async () => {
    const strict = await smoke(["--strict"], { DATABASE_URL: good.url });
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain("error: unknown flag --strict");
    const nosuch = await smoke(["-s", "nosuch"], { DATABASE_URL: good.url });
    expect(nosuch.code).toBe(2);
    expect(nosuch.stderr).toContain("no stack 'nosuch'");
  });

  it("--schemas narrows the tables checked, with a stack and without", async () => {
    const discovered = await smoke(["--schemas", "public", "--json"], { DATABASE_URL: good.url });
    expect(discovered.code).toBe(0);
    expect(
      (JSON.parse(discovered.stdout) as SmokeEnvelope).report.tables.map((t) => t.table),
    ).toContain("public.agents");
    const elsewhere = await smoke(["--schemas", "app"], { DATABASE_URL: good.url });
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stdout).toContain("no tenant tables to check");
    const declared = await smoke(["-s", "local", "--schemas", "app"], { DATABASE_URL: good.url });
    expect(declared.code).toBe(2);
    const help = await smoke(["--help"], {});
    expect(help.stdout).toMatch(/--schemas=<a,b>\s+only the tables of these schemas/);
  });

  it("a TRUNCATE grant to an API role is a critical finding that says how to revoke it", async () => {
    await leaky.sql(`grant truncate on public.projects to anon`);
    try {
      const result = await smoke(["--json", "--table", "public.projects"], {
        DATABASE_URL: leaky.url,
      });
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout) as SmokeEnvelope;
      expect(report.findings.filter((f) => f.severity === "critical")).toEqual([
        expect.objectContaining({
          message:
            "public.projects: TRUNCATE as anon was allowed, must be refused (RLS does not govern it)",
          fix: expect.stringContaining("revoke truncate on public.projects from anon"),
        }),
      ]);
    } finally {
      await leaky.sql(`revoke truncate on public.projects from anon`);
    }
  });

  it("exits 2 when there is nothing to check, or the --table is not among the tables", async () => {
    const none = await smoke(["--tenant-column", "no_such_column"], { DATABASE_URL: good.url });
    expect(none.code).toBe(2);
    expect(none.stdout).toContain("UNKNOWN   no tenant tables to check");
    const missing = await smoke(["--table", "public.nosuch"], { DATABASE_URL: good.url });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      "--table public.nosuch is not among the declared (or discovered) tables",
    );
  });
});
