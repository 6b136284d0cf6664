/**
 * Slow queries and cache health: which statements cost the most time, is the
 * working set in memory, which tables are read by sequential scans that an
 * index would avoid, and which indexes are never used.
 *
 * `readPerformance` reads the statistics views (read-only; pair it with
 * session.ts); `assessPerformance` is pure and unit-tested. Statistics are
 * cumulative since their last reset, so every finding says "since".
 */
import { quoteIdent } from "../rls/sql";
import { PostgresError, type Queryable } from "../postgres/client";
import type { Finding } from "../lib/findings";
import { formatBytes, formatCount } from "../lib/format";
import { maskQueryText } from "./query-text";
import type { CheckReport } from "./read-only-check";

// ---------------------------------------------------------------------------
// Snapshot
// ---------------------------------------------------------------------------

export interface StatementStats {
  queryId: string | null;
  /** Normalised by pg_stat_statements ($1 for constants), literals masked, cut to 300 characters. */
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  sharedBlocksHit: number;
  sharedBlocksRead: number;
}

export type StatementsUnavailableReason = "not-installed" | "not-loaded" | "no-privilege";

export type StatementsState =
  | {
      available: true;
      /** Schema the extension lives in (Supabase: `extensions`). */
      schema: string;
      version: string;
      byTotal: StatementStats[];
      byMean: StatementStats[];
    }
  | { available: false; reason: StatementsUnavailableReason; detail: string };

export interface TableScanStats {
  schema: string;
  table: string;
  seqScans: number;
  seqRowsRead: number;
  /** null when the table has no index at all. */
  indexScans: number | null;
  liveRows: number;
  bytes: number;
}

export interface UnusedIndex {
  schema: string;
  table: string;
  index: string;
  bytes: number;
  definition: string;
}

export interface PerformanceSnapshot {
  database: string;
  /** When this database's statistics were last reset (null: never since the cluster was created). */
  statsResetAt: string | null;
  checkedAt: string;
  /** Shared-buffer hits and reads of this database (pg_stat_database). */
  cache: { blocksHit: number; blocksRead: number };
  statements: StatementsState;
  /** Tables by rows read in sequential scans, most first. */
  tables: TableScanStats[];
  /** Non-unique indexes never scanned, largest first. */
  unusedIndexes: UnusedIndex[];
}

/**
 * Schemas the platform (Supabase) owns: the user cannot add or drop indexes
 * there, so they are left out of the table and index advice.
 */
export const MANAGED_SCHEMAS = [
  "auth",
  "storage",
  "realtime",
  "extensions",
  "graphql",
  "graphql_public",
  "pgsodium",
  "vault",
  "net",
  "cron",
  "supabase_functions",
  "supabase_migrations",
  "pgbouncer",
];

/** Marks this module's own statements; the lists leave out every `runbooks:db:*` command's. */
const MARKER = "/* runbooks:db:performance */";

type Row = Record<string, unknown>;
const num = (v: unknown): number => Number(v ?? 0);
const iso = (v: unknown): string | null =>
  v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v);

/** `1.10` > `1.9`: extension versions compare part by part. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split(".").map(Number);
  const b = minimum.split(".").map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** One read of the statistics views. `top` statements per list. Read-only. */
export async function readPerformance(
  client: Queryable,
  options: { top: number },
): Promise<PerformanceSnapshot> {
  const db = (
    await client.query(`${MARKER}
      select current_database() as database, blks_hit::float8 as blocks_hit,
             blks_read::float8 as blocks_read, stats_reset, now() as checked_at
        from pg_stat_database where datname = current_database()`)
  ).rows[0] as Row;
  const statements = await readStatements(client, options.top);
  const tables = await client.query(
    `${MARKER}
     select t.schemaname as schema, t.relname as table, t.seq_scan::float8 as seq_scans,
            t.seq_tup_read::float8 as seq_rows_read, t.idx_scan::float8 as index_scans,
            -- n_live_tup lags until the writing backend flushes its statistics (up to ~10 s idle);
            -- reltuples (set by vacuum, analyze and create index) covers that gap.
            greatest(t.n_live_tup, c.reltuples)::float8 as live_rows,
            pg_relation_size(t.relid)::float8 as bytes
       from pg_stat_user_tables t join pg_class c on c.oid = t.relid
      where t.seq_scan > 0 and t.schemaname <> all($1::text[])
      order by t.seq_tup_read desc, 1, 2
      limit 50`,
    [MANAGED_SCHEMAS],
  );
  const indexes = await client.query(
    `${MARKER}
     select s.schemaname as schema, s.relname as table, s.indexrelname as index,
            pg_relation_size(s.indexrelid)::float8 as bytes, pg_get_indexdef(s.indexrelid) as definition
       from pg_stat_user_indexes s join pg_index i on i.indexrelid = s.indexrelid
      where s.idx_scan = 0 and not i.indisunique and not i.indisprimary
        and not exists (select 1 from pg_constraint c where c.conindid = s.indexrelid)
        and s.schemaname <> all($1::text[])
      order by 4 desc, 1, 2, 3
      limit 50`,
    [MANAGED_SCHEMAS],
  );
  return {
    database: String(db.database),
    statsResetAt: iso(db.stats_reset),
    checkedAt: iso(db.checked_at) ?? "",
    cache: { blocksHit: num(db.blocks_hit), blocksRead: num(db.blocks_read) },
    statements,
    tables: (tables.rows as Row[]).map((r) => ({
      schema: String(r.schema),
      table: String(r.table),
      seqScans: num(r.seq_scans),
      seqRowsRead: num(r.seq_rows_read),
      indexScans: r.index_scans === null ? null : num(r.index_scans),
      liveRows: num(r.live_rows),
      bytes: num(r.bytes),
    })),
    unusedIndexes: (indexes.rows as Row[]).map((r) => ({
      schema: String(r.schema),
      table: String(r.table),
      index: String(r.index),
      bytes: num(r.bytes),
      definition: String(r.definition),
    })),
  };
}

async function readStatements(client: Queryable, top: number): Promise<StatementsState> {
  const ext = (
    await client.query(`${MARKER}
      select n.nspname as schema, e.extversion as version
        from pg_extension e join pg_namespace n on n.oid = e.extnamespace
       where e.extname = 'pg_stat_statements'`)
  ).rows[0] as Row | undefined;
  if (!ext)
    return {
      available: false,
      reason: "not-installed",
      detail: "the pg_stat_statements extension is not installed in this database",
    };
  const schema = String(ext.schema);
  const version = String(ext.version);
  // 1.8 (Postgres 13) renamed total_time to total_exec_time; 1.9 (14) added toplevel.
  const timing = versionAtLeast(version, "1.8")
    ? { total: "total_exec_time", mean: "mean_exec_time" }
    : { total: "total_time", mean: "mean_time" };
  const toplevel = versionAtLeast(version, "1.9") ? "and s.toplevel" : "";
  const list = (orderBy: string) => `${MARKER}
    select s.queryid::text as query_id, s.query, s.calls::float8 as calls,
           s.${timing.total}::float8 as total_ms, s.${timing.mean}::float8 as mean_ms,
           s.rows::float8 as rows, s.shared_blks_hit::float8 as hit, s.shared_blks_read::float8 as read
      from ${quoteIdent(schema)}.pg_stat_statements s
     where s.dbid = (select oid from pg_database where datname = current_database())
       ${toplevel}
       and s.query not like '%/* runbooks:db:%'
     order by ${orderBy} desc, s.queryid
     limit $1`;
  // A failure here (library not preloaded, no privilege) must not abort the other checks.
  await client.query(`${MARKER} savepoint pg_stat_statements_read`);
  try {
    const byTotal = await client.query(list("total_ms"), [top]);
    const byMean = await client.query(list("mean_ms"), [top]);
    await client.query(`${MARKER} release savepoint pg_stat_statements_read`);
    return {
      available: true,
      schema,
      version,
      byTotal: (byTotal.rows as Row[]).map(statementFrom),
      byMean: (byMean.rows as Row[]).map(statementFrom),
    };
  } catch (error) {
    await client.query(`${MARKER} rollback to savepoint pg_stat_statements_read`);
    if (error instanceof PostgresError && error.code === "55000")
      return {
        available: false,
        reason: "not-loaded",
        detail:
          "pg_stat_statements is installed but its library was not loaded when the server started",
      };
    if (error instanceof PostgresError && error.code === "42501")
      return {
        available: false,
        reason: "no-privilege",
        detail: "this role may not read pg_stat_statements",
      };
    throw error;
  }
}

function statementFrom(r: Row): StatementStats {
  return {
    queryId: r.query_id === null ? null : String(r.query_id),
    query: maskQueryText(String(r.query ?? "")),
    calls: num(r.calls),
    totalMs: num(r.total_ms),
    meanMs: num(r.mean_ms),
    rows: num(r.rows),
    sharedBlocksHit: num(r.hit),
    sharedBlocksRead: num(r.read),
  };
}

// ---------------------------------------------------------------------------
// Assessment (pure)
// ---------------------------------------------------------------------------

export interface PerformanceThresholds {
  /** Below this share of blocks found in shared buffers, the working set does not fit in memory. */
  cacheHitRatioMin: number;
  /** Blocks (hit + read) before the ratio means anything: a fresh database reads everything once. */
  cacheMinBlocks: number;
  /** A table needs this many live rows before its sequential scans are worth an index. */
  seqScanMinRows: number;
  /** …and this many sequential scans. */
  seqScanMinCount: number;
  /** A statement averaging this many ms or more is slow… */
  slowMeanMs: number;
  /** …once it ran this often (one-off maintenance statements are not the app's problem). */
  slowMinCalls: number;
  /** An unused index this large is a warning (writes pay for it); smaller ones are listed as info. */
  unusedIndexWarnBytes: number;
}

export const DEFAULT_PERFORMANCE_THRESHOLDS: PerformanceThresholds = {
  cacheHitRatioMin: 0.99,
  cacheMinBlocks: 10_000,
  seqScanMinRows: 10_000,
  seqScanMinCount: 50,
  slowMeanMs: 500,
  slowMinCalls: 5,
  unusedIndexWarnBytes: 100 * 1024 * 1024,
};

export function cacheHitRatio(cache: { blocksHit: number; blocksRead: number }): number | null {
  const total = cache.blocksHit + cache.blocksRead;
  return total === 0 ? null : cache.blocksHit / total;
}

export function assessPerformance(
  snapshot: PerformanceSnapshot,
  thresholds: PerformanceThresholds = DEFAULT_PERFORMANCE_THRESHOLDS,
): Finding[] {
  return [
    statementsFinding(snapshot.statements, thresholds),
    cacheFinding(snapshot, thresholds),
    seqScanFinding(snapshot, thresholds),
    unusedIndexFinding(snapshot, thresholds),
  ];
}

/** How to turn pg_stat_statements on, by what is missing. */
export function enableStatementsHint(reason: StatementsUnavailableReason): string {
  switch (reason) {
    case "not-installed":
      return (
        "create extension pg_stat_statements; (the server must also load it at start: " +
        "shared_preload_libraries = 'pg_stat_statements' in postgresql.conf, then restart). " +
        "On Supabase it is on by default: Database → Extensions → pg_stat_statements."
      );
    case "not-loaded":
      return (
        "add pg_stat_statements to shared_preload_libraries in postgresql.conf " +
        "(alter system set shared_preload_libraries = 'pg_stat_statements';) and restart Postgres."
      );
    case "no-privilege":
      return "grant pg_read_all_stats to <your role>; or run this as the database owner (postgres on Supabase).";
  }
}

function statementsFinding(state: StatementsState, t: PerformanceThresholds): Finding {
  if (!state.available)
    return {
      id: "statements",
      severity: "medium",
      subject: "pg_stat_statements",
      message: `slow statements: cannot tell — ${state.detail}`,
      details: [],
      fix: enableStatementsHint(state.reason),
      couldNotCheck: true,
    };
  const slow = state.byMean.filter((s) => s.meanMs >= t.slowMeanMs && s.calls >= t.slowMinCalls);
  if (slow.length === 0) {
    const slowest = state.byMean[0];
    return {
      id: "statements",
      severity: "info",
      subject: "pg_stat_statements",
      message:
        `slow statements: none averaging ${t.slowMeanMs} ms or more over ${t.slowMinCalls}+ calls` +
        (slowest ? ` (slowest mean: ${slowest.meanMs.toFixed(1)} ms)` : ""),
      details: [],
      fix: "",
    };
  }
  return {
    id: "statements",
    severity: "medium",
    subject: slow.map((s) => (s.queryId ? `queryid ${s.queryId}` : "statement")).join(", "),
    message: `slow statements: ${slow.length} averaging ${t.slowMeanMs} ms or more over ${t.slowMinCalls}+ calls`,
    details: slow.map(
      (s) =>
        `${s.meanMs.toFixed(1)} ms mean × ${formatCount(s.calls)} calls, ${formatCount(s.rows)} rows: ${s.query}`,
    ),
    fix:
      "run it with real parameters under explain (analyze, buffers) and look for a Seq Scan on a large " +
      "table (see the missing-index candidates) or a sort spilling to disk; add the index with create index concurrently.",
  };
}

function cacheFinding(snapshot: PerformanceSnapshot, t: PerformanceThresholds): Finding {
  const ratio = cacheHitRatio(snapshot.cache);
  const total = snapshot.cache.blocksHit + snapshot.cache.blocksRead;
  const counts = `${formatCount(snapshot.cache.blocksHit)} hits, ${formatCount(snapshot.cache.blocksRead)} reads`;
  if (ratio === null || total < t.cacheMinBlocks)
    return {
      id: "cache",
      severity: "info",
      subject: `database ${snapshot.database}`,
      message: `cache hit ratio: not enough traffic to judge (${counts}; needs ${formatCount(t.cacheMinBlocks)} blocks)`,
      details: [],
      fix: "",
    };
  const message = `cache hit ratio: ${(ratio * 100).toFixed(2)}% (${counts})`;
  const subject = `database ${snapshot.database}`;
  if (ratio >= t.cacheHitRatioMin)
    return { id: "cache", severity: "info", subject, message, details: [], fix: "" };
  return {
    id: "cache",
    severity: "medium",
    subject,
    message: `${message}, below ${(t.cacheHitRatioMin * 100).toFixed(0)}%`,
    details: [],
    fix:
      "the working set does not fit in memory: the statements with the most shared blocks read (lists above) " +
      "are the ones to index first; otherwise a larger compute size (Supabase) or more shared_buffers.",
  };
}

/** Tables big and scanned often enough, mostly sequentially: where an index is probably missing. */
export function missingIndexCandidates(
  tables: readonly TableScanStats[],
  t: PerformanceThresholds,
): TableScanStats[] {
  return tables.filter(
    (x) =>
      x.liveRows >= t.seqScanMinRows &&
      x.seqScans >= t.seqScanMinCount &&
      x.seqScans > (x.indexScans ?? 0),
  );
}

function seqScanFinding(snapshot: PerformanceSnapshot, t: PerformanceThresholds): Finding {
  const candidates = missingIndexCandidates(snapshot.tables, t);
  if (candidates.length === 0)
    return {
      id: "seq-scans",
      severity: "info",
      subject: `database ${snapshot.database}`,
      message: `missing indexes: no table of ${formatCount(t.seqScanMinRows)}+ rows read mostly by sequential scans`,
      details: [],
      fix: "",
    };
  return {
    id: "seq-scans",
    severity: "medium",
    subject: candidates.map((x) => `${x.schema}.${x.table}`).join(", "),
    message: `missing indexes: ${candidates.length} table${candidates.length === 1 ? "" : "s"} read mostly by sequential scans${since(snapshot)}`,
    details: candidates.map(
      (x) =>
        `${x.schema}.${x.table}: ${formatCount(x.seqScans)} sequential scans read ${formatCount(x.seqRowsRead)} rows ` +
        `(${formatCount(x.seqRowsRead / x.seqScans)} per scan), ${x.indexScans === null ? "no index" : `${formatCount(x.indexScans)} index scans`}; ` +
        `${formatCount(x.liveRows)} rows, ${formatBytes(x.bytes)}`,
    ),
    fix:
      "find the statements that filter this table (lists above: their where clause names the columns), then " +
      `create index concurrently on ${candidates[0]!.schema}.${candidates[0]!.table} (<column>); — concurrently does not block writes.`,
  };
}

function unusedIndexFinding(snapshot: PerformanceSnapshot, t: PerformanceThresholds): Finding {
  const unused = snapshot.unusedIndexes;
  if (unused.length === 0)
    return {
      id: "unused-indexes",
      severity: "info",
      subject: `database ${snapshot.database}`,
      message: "unused indexes: none",
      details: [],
      fix: "",
    };
  const large = unused.filter((i) => i.bytes >= t.unusedIndexWarnBytes);
  const total = unused.reduce((sum, i) => sum + i.bytes, 0);
  return {
    id: "unused-indexes",
    severity: large.length > 0 ? "medium" : "info",
    subject: (large.length > 0 ? large : unused).map((i) => `${i.schema}.${i.index}`).join(", "),
    message: `unused indexes: ${unused.length} never scanned${since(snapshot)}, ${formatBytes(total)} in all`,
    details: unused.map((i) => `${i.schema}.${i.index} on ${i.table}, ${formatBytes(i.bytes)}`),
    fix:
      large.length > 0
        ? "every write pays for an index: check it is not used by a replica or a monthly job, then " +
          `drop index concurrently ${quoteIdent(large[0]!.schema)}.${quoteIdent(large[0]!.index)};`
        : "",
  };
}

function since(snapshot: PerformanceSnapshot): string {
  return snapshot.statsResetAt ? ` since ${snapshot.statsResetAt}` : "";
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

export type PerformanceReport = CheckReport<PerformanceSnapshot, PerformanceThresholds>;

function statementTable(title: string, rows: readonly StatementStats[]): string[] {
  if (rows.length === 0) return [`${title}: none recorded yet`];
  const header = ["total ms", "calls", "mean ms", "rows", "hit %"];
  const cells = rows.map((s) => {
    const blocks = s.sharedBlocksHit + s.sharedBlocksRead;
    return [
      s.totalMs.toFixed(1),
      formatCount(s.calls),
      s.meanMs.toFixed(2),
      formatCount(s.rows),
      blocks === 0 ? "-" : ((s.sharedBlocksHit / blocks) * 100).toFixed(1),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: string[], query: string) =>
    `  ${values.map((v, i) => v.padStart(widths[i]!)).join("  ")}  ${query}`;
  return [
    `${title}:`,
    line(header, "query"),
    ...cells.map((c, i) => line(c, rows[i]!.query.slice(0, 120))),
  ];
}

/** The lines above the findings: where it looked, since when, and the statement lists. */
export function renderPerformanceHeader(report: PerformanceReport): string[] {
  const s = report.snapshot;
  const lines = [
    `Database performance: ${report.target}  (statistics since ${s.statsResetAt ?? "the server was created"})`,
  ];
  if (s.statements.available) {
    lines.push(
      ...statementTable(
        `Top ${s.statements.byTotal.length} statements by total time`,
        s.statements.byTotal,
      ),
      ...statementTable(
        `Top ${s.statements.byMean.length} statements by mean time`,
        s.statements.byMean,
      ),
    );
  }
  return lines;
}
