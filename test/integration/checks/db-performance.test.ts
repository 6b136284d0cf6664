/**
 * `npm run db:performance` on a real Postgres with pg_stat_statements
 * preloaded: a table without an index hammered by sequential scans shows up
 * as a missing-index candidate and its statement in the lists; an unused
 * index is listed; a database without the extension gets the hint; and a
 * password in a tracked utility statement never reaches the output.
 */
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatementStats } from "../../../infra/checks/db-performance";
import type { Finding } from "../../../infra/lib/findings";
import { closePools } from "../../../infra/postgres/client";
import { dbPerformance, type DbPerformanceDeps } from "../../../scripts/db-performance";
import { createTestDatabase } from "../../../infra/local/postgres";
import { services } from "../../support/services";
import { runScript, sleep } from "./helpers";

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;
let db: TestDb;

async function sql(url: string, text: string, params: unknown[] = []) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

function performance(argv: string[], deps: Partial<DbPerformanceDeps> = {}, url = db.url) {
  return runScript(dbPerformance, ["--database-url", url, ...argv], { deps });
}

interface JsonReport {
  exitCode: number;
  findings: Finding[];
  report: {
    snapshot: {
      statements: { available: boolean; byTotal: StatementStats[]; byMean: StatementStats[] };
    };
  };
}

function finding(report: JsonReport, check: string): Finding {
  const found = report.findings.find((f) => f.id === check);
  if (!found) throw new Error(`no ${check} finding`);
  return found;
}

beforeAll(async () => {
  db = await createTestDatabase(services().postgres.adminUrl, "dbperf");
});

afterAll(async () => {
  await closePools();
  await db?.drop();
});

describe("db:performance", () => {
  it("finds nothing to fix in a fresh database (exit 0)", async () => {
    const result = await performance([]);
    expect(result.code).toBe(0);
    const port = new URL(db.url).port;
    expect(result.stdout).toContain(`Database performance: 127.0.0.1:${port}/${db.name}`);
    expect(result.stdout).toContain(
      "ok        missing indexes: no table of 10,000+ rows read mostly by sequential scans",
    );
    expect(result.stdout).toContain("ok        unused indexes: none");
    expect(result.stdout).toMatch(/ok {8}cache hit ratio: /);
    expect(result.stdout).toContain(
      "Result: ALL GOOD (exit 0) — 0 critical, 0 high, 0 medium, 0 low",
    );
  });

  it("shows a table without an index that sequential scans keep reading, and the statement doing it", async () => {
    await sql(
      db.url,
      `create table public.orders (id int, customer_id int, note text);
       insert into public.orders select g, g % 500, 'note ' || g from generate_series(1, 20000) g;
       create index orders_note_idx on public.orders (note);`,
    );
    const workload = new Client({
      connectionString: db.url,
      application_name: "ops-test-workload",
    });
    await workload.connect();
    for (let i = 0; i < 60; i++)
      await workload.query("select count(*) from public.orders where customer_id = $1", [i]);
    // A backend flushes its table statistics when it exits; wait until they are visible.
    await workload.end();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const [row] = await sql(
        db.url,
        "select seq_scan::int as n from pg_stat_user_tables where relname = 'orders'",
      );
      if (Number(row?.n) >= 60) break;
      await sleep(100);
    }

    const json = await performance(["--json"]);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as JsonReport;
    const seqScans = finding(report, "seq-scans");
    expect(seqScans.severity).toBe("medium");
    expect(seqScans.details).toHaveLength(1);
    expect(seqScans.details![0]).toMatch(
      /^public\.orders: \d+ sequential scans read [\d,]+ rows \([\d,]+ per scan\), 0 index scans; 20,000 rows, [\d.]+ [kM]B$/,
    );
    const statement = report.report.snapshot.statements.byTotal.find((s) =>
      /select count\(\*\) from public\.orders where customer_id = \$1/.test(s.query),
    );
    expect(statement).toBeDefined();
    expect(statement!.calls).toBe(60);
    expect(statement!.rows).toBe(60);
    expect(statement!.sharedBlocksHit + statement!.sharedBlocksRead).toBeGreaterThan(0);

    const unused = finding(report, "unused-indexes");
    expect(unused.severity).toBe("info");
    expect(unused.details![0]).toMatch(/^public\.orders_note_idx on orders, [\d.]+ [kM]B$/);

    const text = await performance(["--top", "3"]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain("Top 3 statements by total time:");
    expect(text.stdout).toMatch(
      /\s60\s+[\d.]+\s+60\s+[\d.-]+\s+select count\(\*\) from public\.orders where customer_id = \$1/,
    );
    expect(text.stdout).toContain(
      "MEDIUM    missing indexes: 1 table read mostly by sequential scans",
    );
    expect(text.stdout).toContain("create index concurrently on public.orders (<column>);");
  });

  it("warns about an unused index once it is large enough, with how to drop it", async () => {
    const result = await performance([], { thresholds: { unusedIndexWarnBytes: 1 } });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/MEDIUM {4}unused indexes: 1 never scanned, [\d.]+ [kM]B in all/);
    expect(result.stdout).toContain('drop index concurrently "public"."orders_note_idx";');
  });

  it("never prints a password that pg_stat_statements recorded verbatim", async () => {
    const role = `ops_perf_${process.pid}`;
    const secret = "Hunter2-Perf-Secret";
    await sql(db.url, `create role ${role} login password '${secret}'`);
    try {
      // The leak is real: Postgres 15 keeps utility statements as they were sent.
      const raw = await sql(
        db.url,
        "select query from pg_stat_statements where query like '%Hunter2-Perf%'",
      );
      expect(raw.length).toBeGreaterThan(0);
      const result = await performance(["--top", "100", "--json"]);
      expect(result.stdout).not.toContain(secret);
      const report = JSON.parse(result.stdout) as JsonReport;
      const create = report.report.snapshot.statements.byTotal.find((s) =>
        s.query.startsWith(`create role ${role}`),
      );
      expect(create?.query).toBe(`create role ${role} login password '…'`);
    } finally {
      await sql(db.url, `drop role ${role}`);
    }
  });

  it("carries on with the other checks when this role may not read pg_stat_statements", async () => {
    const role = `ops_perf_reader_${process.pid}`;
    const password = "reader-pw-77";
    await sql(
      db.url,
      `revoke all on pg_stat_statements from public;
       create role ${role} login password '${password}';`,
    );
    try {
      const url = new URL(db.url);
      url.username = role;
      url.password = password;
      const result = await performance([], {}, url.toString());
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        "UNKNOWN   slow statements: cannot tell — this role may not read pg_stat_statements",
      );
      expect(result.stdout).toContain("fix: grant pg_read_all_stats to <your role>;");
      expect(result.stdout).toMatch(/MEDIUM {4}missing indexes: 1 table/);
      expect(result.stdout + result.stderr).not.toContain(password);
    } finally {
      await sql(db.url, `grant select on pg_stat_statements to public; drop role ${role};`);
    }
  });

  it("is read-only: --reset is not a flag", async () => {
    const result = await performance(["--reset"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown flag --reset");
    expect((await performance(["--top", "0"])).stderr).toContain("--top must be from 1 to 100");
    // It reads no stack settings, so a --stack would be silently ignored: it is refused instead.
    const stack = await performance(["--stack", "nosuch"]);
    expect(stack.code).toBe(2);
    expect(stack.stderr).toContain("db:performance does not take --stack");
  });
});

describe("db:performance without pg_stat_statements", () => {
  let bare: TestDb;

  beforeAll(async () => {
    bare = await createTestDatabase(services().postgres.adminUrl, "dbperf_bare");
    await sql(bare.url, "drop extension pg_stat_statements");
  });

  afterAll(async () => {
    await closePools();
    await bare?.drop();
  });

  it("could not check (exit 2), says how to enable it, and still runs the other checks", async () => {
    const result = await performance([], {}, bare.url);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(
      "UNKNOWN   slow statements: cannot tell — the pg_stat_statements extension is not installed in this database",
    );
    expect(result.stdout).toContain("Result: COULD NOT CHECK (exit 2)");
    expect(result.stdout).toContain("fix: create extension pg_stat_statements;");
    expect(result.stdout).toContain("shared_preload_libraries = 'pg_stat_statements'");
    expect(result.stdout).toContain("On Supabase it is on by default");
    expect(result.stdout).not.toContain("statements by total time");
    expect(result.stdout).toMatch(/ok {8}cache hit ratio: /);
  });
});
