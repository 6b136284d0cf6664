/**
 * The current Vercel billing cycle from FOCUS rows: grouped by the rows' own
 * BillingPeriod, so the end of a cycle (late rows, credits and a final
 * adjustment of the closed cycle) is neither an overspend nor "spend
 * stopped".
 */
import { describe, expect, it } from "vitest";
import { currentCycle, projectOf, type FocusRow } from "../../../infra/cost/vercel-charges";

const row = (day: string, cost: number, cycle: string, over: Partial<FocusRow> = {}): FocusRow => {
  const start = new Date(`${cycle}T00:00:00.000Z`);
  const end = new Date(
    Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, start.getUTCDate()),
  );
  return {
    BilledCost: cost,
    BillingCurrency: "USD",
    BillingPeriodStart: start.toISOString(),
    BillingPeriodEnd: end.toISOString(),
    ChargeCategory: "Usage",
    ChargePeriodStart: `${day}T00:00:00.000Z`,
    ServiceName: "Functions",
    Tags: { ProjectName: "web" },
    ...over,
  };
};

const NOW = Date.parse("2026-03-16T12:00:00Z");

describe("currentCycle", () => {
  it("counts only the cycle containing now, and names the closed one", () => {
    const rows = [
      row("2026-03-14", 40, "2026-02-15"),
      // The closed cycle's final adjustment, posted after the boundary: not this cycle's spend.
      row("2026-03-15", 55, "2026-02-15", { ChargeCategory: "Adjustment", ServiceName: "Invoice" }),
      row("2026-03-14", -3, "2026-02-15", { ChargeCategory: "Credit" }),
      row("2026-03-15", 0.5, "2026-03-15"),
      row("2026-03-16", 1.5, "2026-03-15", {
        ServiceName: "Edge Requests",
        Tags: { ProjectName: "docs" },
      }),
    ];
    const spend = currentCycle(rows, NOW, 5);
    expect(spend.period).toEqual({ start: "2026-03-15", end: "2026-04-15" });
    expect(spend.toDate).toBe(2);
    expect(spend.notes).toEqual([
      "the previous cycle (2026-02-15 to 2026-03-15) closed at 92.00; its late rows are not counted in this cycle",
    ]);
    expect(spend.topServices).toEqual([
      { name: "Edge Requests", amount: 1.5 },
      { name: "Functions", amount: 0.5 },
    ]);
    expect(spend.topProjects).toEqual([
      { name: "docs", amount: 1.5 },
      { name: "web", amount: 0.5 },
    ]);
  });

  it("forecasts linearly over the cycle, counting at least one day so an early spike is not multiplied", () => {
    const early = currentCycle(
      [row("2026-03-15", 3, "2026-03-15")],
      Date.parse("2026-03-15T02:00:00Z"),
      5,
    );
    // 31 days in this cycle; one day counted as elapsed: 3 × 31.
    expect(early.forecast).toBeCloseTo(93, 5);
    const later = currentCycle(
      [row("2026-03-15", 3, "2026-03-15")],
      Date.parse("2026-03-25T00:00:00Z"),
      5,
    );
    expect(later.forecast).toBeCloseTo(9.3, 5);
  });

  it("a new cycle without charges yet is zero, bounded by the closed cycle's end", () => {
    const spend = currentCycle([row("2026-03-14", 80, "2026-02-15")], NOW, 5);
    expect(spend.toDate).toBe(0);
    expect(spend.period).toEqual({ start: "2026-03-15", end: "2026-04-15" });
    expect(spend.notes).toContain("no charges in this billing cycle yet");
  });

  it("falls back to the calendar month with no rows at all", () => {
    const spend = currentCycle([], NOW, 5);
    expect(spend.period).toEqual({ start: "2026-03-01", end: "2026-04-01" });
    expect(spend.toDate).toBe(0);
  });

  it("folds services beyond --top into one line", () => {
    const rows = ["a", "b", "c"].map((s, i) =>
      row("2026-03-16", i + 1, "2026-03-15", { ServiceName: s }),
    );
    expect(currentCycle(rows, NOW, 2).topServices).toEqual([
      { name: "c", amount: 3 },
      { name: "b", amount: 2 },
      { name: "1 others", amount: 1 },
    ]);
  });
});

describe("projectOf", () => {
  it("reads the project from the tags, else the resource", () => {
    expect(projectOf(row("2026-03-16", 1, "2026-03-15", { Tags: { project: "api" } }))).toBe("api");
    expect(
      projectOf(
        row("2026-03-16", 1, "2026-03-15", { Tags: { ProjectId: "prj_1" }, ResourceName: "blob" }),
      ),
    ).toBe("blob");
    expect(projectOf(row("2026-03-16", 1, "2026-03-15", { Tags: null }))).toBe("(no project)");
  });
});
