/**
 * The findings of a performance snapshot (db-performance.ts reads it) and the
 * lines above them. Pure and unit-tested. Statistics are cumulative since
 * their last reset, so every finding says "since".
 */
import type { Finding } from "../lib/findings";
import { formatBytes, formatCount } from "../lib/format";
import { quoteIdent } from "../rls/sql";
import type {
  StatementStats,
  StatementsUnavailableReason,
  StatementsState,
  TableScanStats,
  PerformanceSnapshot,
} from "./db-performance";
import type { CheckReport } from "./read-only-check";

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
