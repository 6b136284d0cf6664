import { describe, expect, it } from "vitest";
import { latencyBudgetFindings, latencyStats, renderLatency } from "../../../infra/checks/latency";

describe("latencyStats", () => {
  it("is undefined without samples", () => {
    expect(latencyStats([])).toBeUndefined();
  });

  it("takes min, median and the nearest-rank p95 of unsorted values", () => {
    // 20 values 1..20: p95 is rank ceil(0.95*20) = 19.
    const values = Array.from({ length: 20 }, (_, i) => 20 - i);
    expect(latencyStats(values)).toEqual({ samples: 20, minMs: 1, medianMs: 11, p95Ms: 19 });
  });

  it("averages the two middle values for an even count, and p95 is the slowest below 20 samples", () => {
    expect(latencyStats([10, 40, 20, 30])).toEqual({
      samples: 4,
      minMs: 10,
      medianMs: 25,
      p95Ms: 40,
    });
  });

  it("reads one sample as min, median and p95 alike", () => {
    expect(latencyStats([42])).toEqual({ samples: 1, minMs: 42, medianMs: 42, p95Ms: 42 });
  });

  it("renders in words", () => {
    expect(renderLatency({ samples: 5, minMs: 1, medianMs: 2, p95Ms: 3 })).toBe(
      "latency over 5 responses: min 1 ms, median 2 ms, p95 3 ms",
    );
  });
});

describe("latencyBudgetFindings", () => {
  const stats = { samples: 10, minMs: 50, medianMs: 80, p95Ms: 300 };
  const budget = (ms: number) => ({ ms, source: "alerts.healthCheck.latencyBudgetMs in s.yaml" });

  it("says nothing without a budget", () => {
    expect(latencyBudgetFindings(stats, undefined, "u")).toEqual([]);
  });

  it("is info when p95 is exactly the budget", () => {
    const [f] = latencyBudgetFindings(stats, budget(300), "u");
    expect(f!.severity).toBe("info");
    expect(f!.message).toContain("p95 300 ms within the latency budget of 300 ms");
  });

  it("is medium, naming where the budget comes from, when p95 is over it", () => {
    const [f] = latencyBudgetFindings(stats, budget(299), "u");
    expect(f).toMatchObject({ id: "health-latency-budget", severity: "medium" });
    expect(f!.message).toContain("p95 300 ms over the latency budget of 299 ms");
    expect(f!.message).toContain("alerts.healthCheck.latencyBudgetMs in s.yaml");
    expect(f!.fix).toContain("npm run db:performance");
  });

  it("asks for more samples before acting on few", () => {
    const [f] = latencyBudgetFindings({ ...stats, samples: 2 }, budget(10), "u");
    expect(f!.fix).toContain("--samples 20");
  });

  it("could not check when nothing answered", () => {
    const [f] = latencyBudgetFindings(undefined, budget(10), "u");
    expect(f).toMatchObject({ severity: "medium", couldNotCheck: true });
  });
});
