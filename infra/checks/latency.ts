/**
 * Latency over several requests: min, median and p95, and whether p95 stays
 * within a budget. p95 rather than the mean because a budget is about what
 * the slow requests feel like, and one outlier should move the mean, not the
 * verdict.
 */
import type { Finding } from "../lib/findings";

export interface LatencyStats {
  /** Requests that got a response (a timeout or refused connection has no latency worth ranking). */
  samples: number;
  minMs: number;
  medianMs: number;
  /** Nearest-rank 95th percentile: with fewer than 20 samples it is the slowest one. */
  p95Ms: number;
}

/** Nearest-rank percentile of sorted values (1-based rank ⌈p·n⌉), so the result is always a measured value. */
function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1]!;
}

/** Stats of the given latencies (ms); undefined when there are none. Pure. */
export function latencyStats(latenciesMs: readonly number[]): LatencyStats | undefined {
  if (latenciesMs.length === 0) return undefined;
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
  return {
    samples: sorted.length,
    minMs: sorted[0]!,
    medianMs: median,
    p95Ms: percentile(sorted, 0.95),
  };
}

export function renderLatency(stats: LatencyStats): string {
  return `latency over ${stats.samples} response${stats.samples === 1 ? "" : "s"}: min ${stats.minMs} ms, median ${stats.medianMs} ms, p95 ${stats.p95Ms} ms`;
}

/**
 * The budget verdict: p95 above the budget is a problem (medium: slow, not
 * down); within it, an info line. No budget, no finding.
 */
export function latencyBudgetFindings(
  stats: LatencyStats | undefined,
  budget: { ms: number; source: string } | undefined,
  subject: string,
): Finding[] {
  if (!budget) return [];
  if (!stats)
    return [
      {
        id: "health-latency-budget",
        severity: "medium",
        subject,
        message: `latency budget ${budget.ms} ms (${budget.source}): no request got a response to measure`,
        fix: "see the health finding: the endpoint did not answer.",
        couldNotCheck: true,
      },
    ];
  const within = stats.p95Ms <= budget.ms;
  const line = `p95 ${stats.p95Ms} ms ${within ? "within" : "over"} the latency budget of ${budget.ms} ms (${budget.source}), ${renderLatency(stats)}`;
  if (within)
    return [{ id: "health-latency-budget", severity: "info", subject, message: line, fix: "" }];
  return [
    {
      id: "health-latency-budget",
      severity: "medium",
      subject,
      message: line,
      fix:
        stats.samples < 5
          ? "measure again with more samples (--samples 20) before acting; then look at slow queries (npm run db:performance) and the latest deployment."
          : "look at slow queries (npm run db:performance), the database status (npm run db:status) and the latest deployment (npm run rollback -- --list).",
    },
  ];
}
