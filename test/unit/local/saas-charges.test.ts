/** The local Vercel stand-in's month-to-date usage, which `cost:guard -s local` reads. */
import { describe, expect, it } from "vitest";
import { readStackConfig } from "../../../infra/config/stack-file";
import { monthToDateCharges } from "../../../infra/local/saas";

describe("the local stack's billing charges", () => {
  it("has one row per service and whole day of the month before today, tagged with the project", () => {
    const rows = monthToDateCharges("local-app", new Date("2026-12-04T15:00:00Z"));
    expect(rows.map((r) => r.ChargePeriodStart.slice(0, 10))).toEqual([
      "2026-12-01",
      "2026-12-01",
      "2026-12-02",
      "2026-12-02",
      "2026-12-03",
      "2026-12-03",
    ]);
    expect(new Set(rows.map((r) => r.Tags.ProjectName))).toEqual(new Set(["local-app"]));
    expect(monthToDateCharges("local-app", new Date("2026-12-01T09:00:00Z"))).toEqual([]);
  });

  it("stays under the local stack's Vercel budget even on the last day of a long month", () => {
    const spend = monthToDateCharges("local-app", new Date("2026-12-31T23:00:00Z")).reduce(
      (sum, r) => sum + r.BilledCost,
      0,
    );
    const [budget] = readStackConfig({ stack: "local" }).config.budgets;
    expect(budget).toMatchObject({ provider: "vercel" });
    expect(spend).toBeGreaterThan(0);
    expect(spend).toBeLessThan((budget!.monthlyLimitUsd * budget!.thresholds[0]!.percent) / 100);
  });
});
