/**
 * Slow queries and cache health: which statements cost the most time, is the
 * working set in memory, which tables are read by sequential scans that an
 * index would avoid, and which indexes are never used.
 *
 * `readPerformance` reads the statistics views (read-only; pair it with
 * session.ts); `assessPerformance` (db-performance-findings.ts) is pure and
 * unit-tested. Statistics are cumulative since their last reset, so every
 * finding says "since".
 */
import { quoteIdent } from "../rls/sql";
import { PostgresError, type Queryable } from "../postgres/client";
import { maskQueryText } from "./query-text";

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
