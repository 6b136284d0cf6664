import { describe, expect, it } from "vitest";
import {
  versionAtLeast,
  type PerformanceSnapshot,
  type StatementStats,
  type TableScanStats,
} from "../../../infra/checks/db-performance";
import {
  assessPerformance,
  cacheHitRatio,
  DEFAULT_PERFORMANCE_THRESHOLDS,
  enableStatementsHint,
  missingIndexCandidates,
  renderPerformanceHeader,
} from "../../../infra/checks/db-performance-findings";
import type { Finding } from "../../../infra/lib/findings";
import { exitCodeFor } from "../../../infra/lib/findings-render";
import { renderHuman } from "../../../scripts/lib/runner";

const t = DEFAULT_PERFORMANCE_THRESHOLDS;

function statement(query: string, overrides: Partial<StatementStats> = {}): StatementStats {
  return {
    queryId: "1",
    query,
    calls: 100,
    totalMs: 500,
    meanMs: 5,
    rows: 100,
    sharedBlocksHit: 990,
    sharedBlocksRead: 10,
    ...overrides,
  };
}

function table(name: string, overrides: Partial<TableScanStats> = {}): TableScanStats {
  return {
    schema: "public",
    table: name,
    seqScans: 10,
    seqRowsRead: 1000,
    indexScans: 1000,
    liveRows: 100,
    bytes: 8192,
    ...overrides,
  };
}

function snapshot(overrides: Partial<PerformanceSnapshot> = {}): PerformanceSnapshot {
  return {
    database: "app",
    statsResetAt: "2026-01-01T00:00:00.000Z",
    checkedAt: "2026-01-08T00:00:00.000Z",
    cache: { blocksHit: 999_500, blocksRead: 500 },
    statements: {
      available: true,
      schema: "extensions",
      version: "1.10",
      byTotal: [statement("select * from orders where id = $1")],
      byMean: [statement("select * from orders where id = $1")],
    },
    tables: [table("orders")],
    unusedIndexes: [],
    ...overrides,
  };
}

function finding(findings: Finding[], check: string): Finding {
  const found = findings.find((f) => f.id === check);
  if (!found) throw new Error(`no ${check} finding`);
  return found;
}

describe("assessPerformance", () => {
  it("finds nothing wrong with a well-indexed, well-cached database", () => {
    const findings = assessPerformance(snapshot());
    expect(exitCodeFor(findings)).toBe(0);
    expect(findings.map((f) => f.id)).toEqual([
      "statements",
      "cache",
      "seq-scans",
      "unused-indexes",
    ]);
    expect(finding(findings, "cache").message).toBe(
      "cache hit ratio: 99.95% (999,500 hits, 500 reads)",
    );
  });

  describe("statements", () => {
    it("warns about statements slow on average once they ran often enough", () => {
      const slow = statement("select * from reports where month = $1", { meanMs: 1200, calls: 6 });
      const once = statement("vacuum full big_table", { meanMs: 90_000, calls: 1 });
      const s = snapshot({
        statements: {
          available: true,
          schema: "public",
          version: "1.10",
          byTotal: [slow],
          byMean: [once, slow],
        },
      });
      const f = finding(assessPerformance(s), "statements");
      expect(f.severity).toBe("medium");
      expect(f.details).toEqual([
        "1200.0 ms mean × 6 calls, 100 rows: select * from reports where month = $1",
      ]);
      expect(f.fix).toContain("explain (analyze, buffers)");
    });

    it("could not check, and says how to enable pg_stat_statements, when it is missing", () => {
      const s = snapshot({
        statements: {
          available: false,
          reason: "not-installed",
          detail: "the pg_stat_statements extension is not installed in this database",
        },
      });
      const f = finding(assessPerformance(s), "statements");
      expect(f.severity).toBe("medium");
      expect(f.couldNotCheck).toBe(true);
      expect(f.message).toContain("cannot tell");
      expect(f.fix).toContain("create extension pg_stat_statements");
      expect(f.fix).toContain("shared_preload_libraries");
      expect(f.fix).toContain("Supabase");
    });

    it("has a hint for each way it can be unavailable", () => {
      expect(enableStatementsHint("not-loaded")).toContain("restart");
      expect(enableStatementsHint("no-privilege")).toContain("pg_read_all_stats");
    });
  });

  describe("cache", () => {
    it("does not judge the ratio before there is enough traffic", () => {
      const f = finding(
        assessPerformance(snapshot({ cache: { blocksHit: 10, blocksRead: 90 } })),
        "cache",
      );
      expect(f.severity).toBe("info");
      expect(f.message).toContain("not enough traffic");
    });

    it("warns below 99% once there is traffic", () => {
      const f = finding(
        assessPerformance(snapshot({ cache: { blocksHit: 98_000, blocksRead: 2_000 } })),
        "cache",
      );
      expect(f.severity).toBe("medium");
      expect(f.message).toBe("cache hit ratio: 98.00% (98,000 hits, 2,000 reads), below 99%");
    });

    it("computes the ratio, and none without blocks", () => {
      expect(cacheHitRatio({ blocksHit: 3, blocksRead: 1 })).toBe(0.75);
      expect(cacheHitRatio({ blocksHit: 0, blocksRead: 0 })).toBeNull();
    });
  });

  describe("missing indexes", () => {
    const heavy = table("events", {
      seqScans: 500,
      seqRowsRead: 25_000_000,
      indexScans: null,
      liveRows: 50_000,
      bytes: 6 * 1024 * 1024,
    });

    it("flags a large table read mostly by sequential scans", () => {
      const f = finding(
        assessPerformance(snapshot({ tables: [heavy, table("orders")] })),
        "seq-scans",
      );
      expect(f.severity).toBe("medium");
      expect(f.details).toEqual([
        "public.events: 500 sequential scans read 25,000,000 rows (50,000 per scan), no index; 50,000 rows, 6.0 MB",
      ]);
      expect(f.fix).toContain("create index concurrently on public.events");
    });

    it("leaves out small tables, rarely scanned ones, and ones read mostly by index", () => {
      const candidates = missingIndexCandidates(
        [
          { ...heavy, table: "small", liveRows: 9_999 },
          { ...heavy, table: "rare", seqScans: 49 },
          { ...heavy, table: "indexed", indexScans: 500 },
          { ...heavy, table: "mostly_seq", indexScans: 499 },
        ],
        t,
      );
      expect(candidates.map((c) => c.table)).toEqual(["mostly_seq"]);
    });
  });

  describe("unused indexes", () => {
    const index = (name: string, bytes: number) => ({
      schema: "public",
      table: "orders",
      index: name,
      bytes,
      definition: `CREATE INDEX ${name} ON public.orders USING btree (x)`,
    });

    it("lists small unused indexes as info", () => {
      const f = finding(
        assessPerformance(snapshot({ unusedIndexes: [index("orders_x_idx", 16384)] })),
        "unused-indexes",
      );
      expect(f.severity).toBe("info");
      expect(f.message).toBe(
        "unused indexes: 1 never scanned since 2026-01-01T00:00:00.000Z, 16 kB in all",
      );
      expect(f.fix).toBe("");
    });

    it("warns about a large one, with how to drop it without blocking writes", () => {
      const f = finding(
        assessPerformance(
          snapshot({ unusedIndexes: [index("Orders_Big", 200 * 1024 * 1024), index("s", 8192)] }),
        ),
        "unused-indexes",
      );
      expect(f.severity).toBe("medium");
      expect(f.fix).toContain('drop index concurrently "public"."Orders_Big";');
    });
  });
});

describe("versionAtLeast", () => {
  it("compares extension versions part by part", () => {
    expect(versionAtLeast("1.10", "1.9")).toBe(true);
    expect(versionAtLeast("1.9", "1.9")).toBe(true);
    expect(versionAtLeast("1.7", "1.8")).toBe(false);
    expect(versionAtLeast("2", "1.9")).toBe(true);
  });
});

describe("db:performance human output", () => {
  const render = (s: ReturnType<typeof snapshot>) => {
    const report = { target: "db:5432/app", thresholds: t, snapshot: s };
    return renderHuman({ findings: assessPerformance(s), text: renderPerformanceHeader(report) });
  };

  it("prints both statement lists, then the findings", () => {
    const text = render(snapshot());
    expect(text).toContain("Top 1 statements by total time:");
    expect(text).toContain("Top 1 statements by mean time:");
    expect(text).toMatch(/total ms\s+calls\s+mean ms\s+rows\s+hit %\s+query/);
    expect(text).toMatch(
      /500\.0\s+100\s+5\.00\s+100\s+99\.0\s+select \* from orders where id = \$1/,
    );
    expect(text.split("\n").at(-1)).toBe(
      "Result: ALL GOOD (exit 0) — 0 critical, 0 high, 0 medium, 0 low, 4 info",
    );
  });

  it("leaves the lists out when pg_stat_statements is unavailable, and says it could not check", () => {
    const text = render(
      snapshot({ statements: { available: false, reason: "not-loaded", detail: "not loaded" } }),
    );
    expect(text).not.toContain("statements by total time");
    expect(text).toContain("UNKNOWN   slow statements: cannot tell — not loaded");
    expect(text.split("\n").at(-1)).toBe(
      "Result: COULD NOT CHECK (exit 2) — 0 critical, 0 high, 0 medium, 0 low, 3 info, 1 not checked",
    );
  });
});
