/**
 * `npm run db:status` on a real Postgres: a healthy database, a lock queue
 * (who blocks whom), a session idle in a transaction, a long query,
 * connections against max_connections, a table the API can read without RLS,
 * and the read-only session every check runs in.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Finding } from "../../../infra/lib/findings";
import { withReadOnlySession } from "../../../infra/postgres/session";
import { closePools, PostgresError, withConnection } from "../../../infra/postgres/client";
import { dbStatus, type DbStatusDeps } from "../../../scripts/db-status";
import { createTestDatabase } from "../../../infra/local/postgres";
import { services } from "../../support/services";
import { runScript, sleep } from "./helpers";

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;
let db: TestDb;
const open: Client[] = [];

async function connect(applicationName: string, url = db.url): Promise<Client> {
  const client = new Client({ connectionString: url, application_name: applicationName });
  client.on("error", () => undefined);
  await client.connect();
  open.push(client);
  return client;
}

async function pidOf(client: Client): Promise<number> {
  return (await client.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
}

/** Poll pg_stat_activity until a condition on the named session holds. */
async function waitForSession(applicationName: string, condition: string): Promise<void> {
  const admin = await connect("test-observer");
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { rowCount } = await admin.query(
      `select 1 from pg_stat_activity where application_name = $1 and ${condition}`,
      [applicationName],
    );
    if (rowCount) return;
    await sleep(50);
  }
  throw new Error(`session ${applicationName} never reached: ${condition}`);
}

function status(argv: string[], deps: Partial<DbStatusDeps> = {}, url = db.url) {
  return runScript(dbStatus, ["--database-url", url, ...argv], { deps });
}

function findingsOf(stdout: string): Finding[] {
  return (JSON.parse(stdout) as { findings: Finding[] }).findings;
}

function finding(stdout: string, check: string): Finding {
  const found = findingsOf(stdout).find((f) => f.id === check);
  if (!found) throw new Error(`no ${check} finding`);
  return found;
}

beforeAll(async () => {
  db = await createTestDatabase(services().postgres.adminUrl, "dbstatus");
  const setup = await connect("test-setup");
  // Outside the exposed schemas, so the lock tests are not also RLS findings.
  await setup.query(`
    create schema work;
    create table work.jobs (id int primary key, status text not null);
    insert into work.jobs select g, 'queued' from generate_series(1, 10) g;`);
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.end().catch(() => undefined)));
});

afterAll(async () => {
  await closePools();
  await db?.drop();
});

describe("db:status", () => {
  it("reports a healthy database with exit 0, and no credential", async () => {
    const result = await status([]);
    expect(result.code).toBe(0);
    const port = new URL(db.url).port;
    expect(result.stdout).toContain(`Database status: 127.0.0.1:${port}/${db.name}`);
    expect(result.stdout).toMatch(/ok {8}server: PostgreSQL 15\.\d+/);
    expect(result.stdout).toContain("ok        locks: no session is waiting for a lock");
    expect(result.stdout).toContain(
      "ok        row-level security: enabled on every table in public, storage",
    );
    expect(result.stdout).toMatch(/ok {8}transaction-ID age: /);
    expect(result.stdout).toContain("skipped   backup heartbeat: not checked");
    expect(result.stdout).toContain(
      "Result: ALL GOOD (exit 0) — 0 critical, 0 high, 0 medium, 0 low",
    );
    const password = decodeURIComponent(new URL(db.url).password);
    expect(result.stdout + result.stderr).not.toContain(password);
  });

  it("names the session holding a lock that another one waits for: info while brief, critical past --lock-wait", async () => {
    const holder = await connect("ops-test-holder");
    const holderPid = await pidOf(holder);
    await holder.query("begin");
    await holder.query("lock table work.jobs in access exclusive mode");
    const waiter = await connect("ops-test-waiter");
    const waiterPid = await pidOf(waiter);
    const pending = waiter.query("select count(*) from work.jobs").catch((e: Error) => e);
    try {
      await waitForSession("ops-test-waiter", "wait_event_type = 'Lock'");

      const brief = await status(["--json"]);
      expect(brief.code).toBe(0);
      const briefLocks = finding(brief.stdout, "locks");
      expect(briefLocks.severity).toBe("info");
      expect(briefLocks.message).toBe(
        `locks: 1 session waiting briefly (under 5 s) for a lock held by pid ${holderPid}`,
      );

      await sleep(1100);
      const result = await status(["--lock-wait", "1"]);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        `CRITICAL  locks: 1 session blocked for 1 s or more, by pid ${holderPid}`,
      );
      expect(result.stdout).toMatch(
        new RegExp(
          `pid ${waiterPid} \\(app "ops-test-waiter", user postgres, from 127\\.0\\.0\\.1\\) waiting \\d+ s for a lock, blocked by pid ${holderPid}: select count\\(\\*\\) from work\\.jobs`,
        ),
      );
      expect(result.stdout).toMatch(
        new RegExp(
          `blocker pid ${holderPid} \\(app "ops-test-holder".*\\), idle in transaction for \\d+ s`,
        ),
      );
      expect(result.stdout).toContain(`select pg_terminate_backend(${holderPid});`);
    } finally {
      await holder.query("rollback");
    }
    expect(await pending).toMatchObject({ rows: [{ count: "10" }] });
  });

  it("warns about a session idle in a transaction, without printing its literals", async () => {
    const idler = await connect("ops-test-idler");
    const pid = await pidOf(idler);
    await idler.query("begin");
    await idler.query("select 'Sekret-literal-4242' as x from work.jobs limit 1");
    await sleep(1100);
    const quiet = await status([]);
    expect(quiet.stdout).toContain(
      "ok        idle in transaction: no session idle in a transaction for 60 s or more",
    );

    const result = await status(["--idle", "1"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "MEDIUM    idle in transaction: 1 session idle in a transaction for 1 s or more",
    );
    expect(result.stdout).toMatch(
      new RegExp(
        `pid ${pid} \\(app "ops-test-idler".*\\) idle in transaction for \\d+ s, transaction open \\d+ s; last statement: select '…' as x from work\\.jobs limit 1`,
      ),
    );
    expect(result.stdout).toContain(`pg_terminate_backend(${pid})`);
    expect(result.stdout).not.toContain("Sekret-literal-4242");
    await idler.query("rollback");
  });

  it("warns about a statement running longer than --long", async () => {
    const sleeper = await connect("ops-test-sleeper");
    const pid = await pidOf(sleeper);
    const pending = sleeper.query("select pg_sleep(30)").catch((e: Error) => e);
    try {
      await waitForSession(
        "ops-test-sleeper",
        "state = 'active' and now() - query_start > interval '1.1 s'",
      );
      const result = await status(["--long", "1"]);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain("MEDIUM    long queries: 1 running for 1 s or more");
      expect(result.stdout).toMatch(
        new RegExp(
          `pid ${pid} \\(app "ops-test-sleeper".*\\) running \\d+ s, waiting on Timeout/PgSleep: select pg_sleep\\(30\\)`,
        ),
      );
      expect(result.stdout).toContain(`pg_cancel_backend(${pid})`);
    } finally {
      const observer = await connect("test-observer");
      await observer.query("select pg_cancel_backend($1)", [pid]);
    }
    expect(String(await pending)).toContain("canceling statement due to user request");
  });

  it("counts connections against max_connections and warns or pages by the thresholds", async () => {
    for (let i = 0; i < 5; i++) await connect("ops-test-crowd");
    const normal = await status(["--json"]);
    const connections = finding(normal.stdout, "connections");
    expect(connections.severity).toBe("info");
    const used = Number(/connections: (\d+) of 200 in use/.exec(connections.message)?.[1]);
    expect(used).toBeGreaterThanOrEqual(6);
    expect(connections.details!.join("\n")).toMatch(/ops-test-crowd (\d+)/);
    expect(Number(/ops-test-crowd (\d+)/.exec(connections.details!.join("\n"))?.[1])).toBe(5);

    const near = await status(["--json"], { thresholds: { connectionsWarnPercent: 2 } });
    expect(near.code).toBe(1);
    expect(finding(near.stdout, "connections")).toMatchObject({ severity: "medium" });
    expect(finding(near.stdout, "connections").fix).toContain("pooler");

    const full = await status([], {
      thresholds: { connectionsWarnPercent: 1, connectionsCriticalPercent: 2 },
    });
    expect(full.code).toBe(1);
    expect(full.stdout).toMatch(/CRITICAL {2}connections: \d+ of 200 in use \(\d+%\)/);
  });

  it("runs read-only, with its application_name and a statement timeout that do not outlive the check", async () => {
    const target = { connectionString: db.url, applicationName: "runbooks:db:status" };
    let settings: Record<string, string> | undefined;
    const attempt = withReadOnlySession(target, "probe the session", async (client) => {
      settings = (
        await client.query(
          "select current_setting('application_name') as app, current_setting('statement_timeout') as st, current_setting('transaction_read_only') as ro",
        )
      ).rows[0] as Record<string, string>;
      await client.query("create table work.should_not_exist (id int)");
    });
    await expect(attempt).rejects.toMatchObject({ code: "25006" });
    await expect(attempt).rejects.toBeInstanceOf(PostgresError);
    expect(settings).toEqual({ app: "runbooks:db:status", st: "10s", ro: "on" });
    const after = await withConnection(target, "reuse", (c) => c.query("show statement_timeout"));
    expect(after.rows[0]).toEqual({ statement_timeout: "0" });
    const exists = await withConnection(target, "check", (c) =>
      c.query("select to_regclass('work.should_not_exist') as t"),
    );
    expect(exists.rows[0]).toEqual({ t: null });
  });
});

describe("db:status row-level security", () => {
  let rlsDb: TestDb;

  beforeAll(async () => {
    rlsDb = await createTestDatabase(services().postgres.adminUrl, "dbstatus_rls");
    const c = await connect("test-setup", rlsDb.url);
    // Supabase's default privileges grant every new public table to anon and authenticated.
    await c.query(`
      create table public.invoices (id int primary key, amount int);
      create table public.internal_notes (id int primary key);
      revoke all on public.internal_notes from anon, authenticated, service_role;`);
  });

  afterAll(async () => {
    await closePools();
    await rlsDb?.drop();
  });

  it("is critical for a table the API roles can reach without RLS, and points to rls:lint", async () => {
    const result = await status([], {}, rlsDb.url);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "CRITICAL  row-level security: 1 table in public, storage without RLS that the API roles can reach",
    );
    expect(result.stdout).toContain(
      "public.invoices: RLS disabled, anon and authenticated can read or write every row",
    );
    expect(result.stdout).toContain(
      "public.internal_notes: RLS disabled, no API role has a grant on it (yet)",
    );
    expect(result.stdout).toContain("alter table public.invoices enable row level security");
    expect(result.stdout).toContain("npm run rls:lint");
  });

  it("adds the exposed schemas of --stack, read through the stack's validated config", async () => {
    const root = mkdtempSync(join(tmpdir(), "runbooks-dbstatus-"));
    mkdirSync(join(root, "stacks"));
    writeFileSync(
      join(root, "stacks", "Pulumi.acme.yaml"),
      [
        "config:",
        "  runbooks:owner: ops",
        "  runbooks:features: { vercel: false, github: false, backupStorage: false, alerts: false }",
        "  runbooks:database: { exposedSchemas: [work], appRole: authenticated }",
      ].join("\n"),
    );
    const result = await runScript(dbStatus, ["--database-url", rlsDb.url, "-s", "acme"], { root });
    expect(result.stdout).toContain("without RLS that the API roles can reach");
    expect(result.stdout).toContain("in public, storage, work");
    const nosuch = await runScript(dbStatus, ["--database-url", rlsDb.url, "-s", "nosuch"], {
      root,
    });
    expect(nosuch.code).toBe(2);
    expect(nosuch.stderr).toContain("no stack 'nosuch': stacks/Pulumi.nosuch.yaml does not exist");
  });

  it("checks only the schemas given with --schemas", async () => {
    const result = await status(["--schemas", "storage"], {}, rlsDb.url);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("row-level security: enabled on every table in storage");
  });
});

describe("db:status could not check (exit 2)", () => {
  it("when the password is wrong, without printing it", async () => {
    const wrong = new URL(db.url);
    wrong.password = "not-the-password-5150";
    const result = await status([], {}, wrong.toString());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "error: could not check: read the database status: could not connect",
    );
    expect(result.stderr).toContain("password authentication failed");
    expect(result.stdout + result.stderr).not.toContain("not-the-password-5150");
  });

  it("when no database is given", async () => {
    const result = await runScript(dbStatus, [], { env: {} });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no database to check: pass --database-url");
  });

  it("when a flag is wrong", async () => {
    expect((await status(["--schemas", "Public;drop"])).stderr).toContain(
      "is not a lower-case Postgres identifier",
    );
    expect((await status(["--long", "soon"])).code).toBe(2);
    const other = await status(["--url", "https://app.example.com/health"]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("error: unknown flag --url");
    expect(other.stderr).toContain("USAGE runbooks db:status [OPTIONS]");
  });
});
