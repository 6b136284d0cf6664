/**
 * RLS benchmark: 1,000 policies on 250 tables, applied from empty by the
 * provider, against the same statements run by `psql -f` — both in the same
 * run, on the same server, each on a fresh clone of the same database.
 *
 * Then the no-op: a refresh (read) + check + diff of all 250 resources by a
 * fresh provider (a new `pulumi` command), counted with pg_stat_statements:
 * it must read the catalog in one query and issue no DDL.
 *
 *   npm run bench:rls                  (starts a throwaway Postgres)
 *   DATABASE_URL=postgres://… npm run bench:rls   (uses that superuser URL)
 *
 * Writes bench/results/rls.json and bench/results/rls.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { closePools } from "../../infra/postgres/client";
import type { TableSpec } from "../../infra/rls/model";
import {
  createRlsTableProvider,
  type RlsTableInputs,
  type RlsTableOutputs,
} from "../../infra/rls/provider";
import { REPO_ROOT } from "../../infra/lib/paths";
import { createTestDatabase, startPostgres } from "../../infra/local/postgres";
import { resetStatementStats } from "../../test/support/statement-stats";
import { providerSection, writeSummary } from "./summary";
import {
  TABLES,
  equivalentSql,
  psqlSeconds,
  runnerFor,
  schemaSql,
  sql,
  statementCounts,
  tableSpecs,
} from "./workload";

const ROUNDS = Number(process.env.BENCH_RLS_ROUNDS ?? 5);
/** Resource operations the engine runs at once (`pulumi up --parallel`); 1 is the serial case. */
const CONCURRENCY = [1, 8];
const GOAL_RATIO = 1.5;

interface Sample {
  seconds: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function freshDatabase(adminUrl: string, specs: TableSpec[]) {
  const db = await createTestDatabase(adminUrl, "bench_rls");
  await sql(db.url, schemaSql(specs));
  return db;
}

async function policyCount(url: string): Promise<number> {
  const [row] = await sql<{ n: number }>(
    url,
    "select count(*)::int as n from pg_policy p join pg_class c on c.oid = p.polrelid where c.relname like 'bench\\_%'",
  );
  return row!.n;
}

function inputs(spec: TableSpec, url: string): RlsTableInputs {
  return {
    schema: spec.schema,
    table: spec.table,
    enabled: spec.enabled,
    force: spec.force,
    policies: spec.policies,
    connection: url,
    lockTimeoutSeconds: 5,
    lockRetries: 5,
    catalogSchemas: ["public"],
    providerVersion: "bench",
  };
}

async function pool<T, R>(
  items: T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!);
      }
    }),
  );
  return results;
}

let scope = 0;

/** check + create for every table, as `pulumi up` calls them; returns the outputs for the no-op phase. */
async function runProvider(
  url: string,
  specs: TableSpec[],
  concurrency: number,
): Promise<{ sample: Sample; outs: RlsTableOutputs[] }> {
  const provider = createRlsTableProvider({ cacheScope: `bench-${++scope}` });
  const started = process.hrtime.bigint();
  const outs = await pool(specs, concurrency, async (spec) => {
    const checked = await provider.check!({} as RlsTableInputs, inputs(spec, url));
    if (checked.failures?.length) throw new Error(JSON.stringify(checked.failures));
    return (await provider.create(checked.inputs as RlsTableInputs)).outs as RlsTableOutputs;
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await closePools();
  return { sample: { seconds }, outs };
}

async function noOpRefresh(url: string, specs: TableSpec[], outs: RlsTableOutputs[]) {
  await resetStatementStats(runnerFor(url));
  const provider = createRlsTableProvider({ cacheScope: `bench-noop-${++scope}` });
  const started = process.hrtime.bigint();
  const reads = await Promise.all(outs.map((o) => provider.read!(`${o.schema}.${o.table}`, o)));
  const diffs = await Promise.all(
    reads.map(async (r, i) => {
      const checked = await provider.check!(r.props as RlsTableInputs, inputs(specs[i]!, url));
      return provider.diff!(r.id!, r.props as RlsTableOutputs, checked.inputs as RlsTableInputs);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await closePools();
  const counts = await statementCounts(url);
  return {
    seconds,
    changes: diffs.filter((d) => d.changes).length,
    drift: reads.filter((r) => (r.props as RlsTableOutputs).drift.length > 0).length,
    ...counts,
  };
}

async function noOpUpdate(url: string, specs: TableSpec[], outs: RlsTableOutputs[]) {
  await resetStatementStats(runnerFor(url));
  const provider = createRlsTableProvider({ cacheScope: `bench-update-${++scope}` });
  const started = process.hrtime.bigint();
  await pool(outs, 8, async (o) => {
    const i = outs.indexOf(o);
    const news = { ...inputs(specs[i]!, url), providerVersion: "bench-2" };
    const checked = (await provider.check!(news, news)).inputs as RlsTableInputs;
    await provider.update!(`${o.schema}.${o.table}`, o, checked);
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await closePools();
  return { seconds, ...(await statementCounts(url)) };
}

async function main() {
  const loadAtStart = loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  const server = await startPostgres();
  const specs = tableSpecs();
  const policies = specs.reduce((n, s) => n + s.policies.length, 0);
  const dir = mkdtempSync(join(tmpdir(), "bench-rls-"));
  const file = join(dir, "policies.sql");
  writeFileSync(file, equivalentSql(specs));
  console.log(
    `[bench:rls] ${TABLES} tables, ${policies} policies, ${ROUNDS} rounds, Postgres ${server.major}, ${cpus().length} CPU(s)`,
  );

  const psql: number[] = [];
  const provider: Record<number, number[]> = Object.fromEntries(CONCURRENCY.map((c) => [c, []]));
  let lastOuts: RlsTableOutputs[] = [];
  let lastUrl = "";
  const cleanup: (() => Promise<void>)[] = [];
  try {
    // Round 0 warms the server, the parser's WASM and the JIT; it is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      // Alternate the order so neither side always runs on a warmer server.
      const order = round % 2 ? ["psql", ...CONCURRENCY] : [...CONCURRENCY, "psql"];
      for (const which of order) {
        const db = await freshDatabase(server.adminUrl, specs);
        if (which === "psql") {
          const s = { seconds: psqlSeconds(db.url, file) };
          if (round > 0) psql.push(s.seconds);
          if ((await policyCount(db.url)) !== policies)
            throw new Error("psql run did not create every policy");
          console.log(`[bench:rls] round ${round} psql -f: ${s.seconds.toFixed(3)} s`);
          await db.drop();
        } else {
          const c = which as number;
          const { sample, outs } = await runProvider(db.url, specs, c);
          if (round > 0) provider[c]!.push(sample.seconds);
          if ((await policyCount(db.url)) !== policies)
            throw new Error("provider run did not create every policy");
          console.log(
            `[bench:rls] round ${round} provider (concurrency ${c}): ${sample.seconds.toFixed(3)} s`,
          );
          if (round === ROUNDS && c === CONCURRENCY[CONCURRENCY.length - 1]) {
            lastOuts = outs;
            lastUrl = db.url;
            cleanup.push(db.drop);
          } else {
            await db.drop();
          }
        }
      }
    }

    const refresh = await noOpRefresh(lastUrl, specs, lastOuts);
    console.log(
      `[bench:rls] no-op refresh+diff: ${refresh.seconds.toFixed(3)} s, ${refresh.catalogSnapshotQueries} catalog query, ${refresh.ddlStatements} DDL`,
    );
    const update = await noOpUpdate(lastUrl, specs, lastOuts);
    console.log(
      `[bench:rls] no-op update (provider code changed): ${update.seconds.toFixed(3)} s, ${update.ddlStatements} DDL`,
    );

    const psqlMedian = median(psql);
    const result = {
      benchmark: "rls-apply",
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        node: process.version,
        postgres: server.major,
        loadAverage: loadAtStart,
      },
      workload: {
        tables: TABLES,
        policies,
        statementsInSqlFile: policies + 2 * TABLES,
        rounds: ROUNDS,
      },
      baseline: {
        name: "psql -f (same statements, autocommit, one connection)",
        secondsMedian: psqlMedian,
        seconds: psql,
      },
      provider: CONCURRENCY.map((c) => ({
        concurrency: c,
        secondsMedian: median(provider[c]!),
        seconds: provider[c]!,
        ratioToPsql: median(provider[c]!) / psqlMedian,
        meetsGoal: median(provider[c]!) / psqlMedian <= GOAL_RATIO,
      })),
      goalRatio: GOAL_RATIO,
      noOpRefresh: refresh,
      noOpUpdate: update,
    };
    mkdirSync(join(REPO_ROOT, "bench", "results"), { recursive: true });
    writeFileSync(
      join(REPO_ROOT, "bench", "results", "rls.json"),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    writeSummary();
    console.log(providerSection(result));
  } finally {
    for (const drop of cleanup) await drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    await server.stop();
  }
}

main().catch(async (error: Error) => {
  console.error(`[bench:rls] failed: ${error.message}`);
  await closePools();
  process.exit(1);
});
