import { describe, expect, it } from "vitest";
import { budgetSchema } from "../../../infra/config/index";
import { assessBudget, assessBudgets } from "../../../infra/cost/assess";
import type { ProviderSpend } from "../../../infra/cost/spend";
import { money } from "../../../infra/cost/spend";

const budget = budgetSchema.parse({ name: "monthly", monthlyLimitUsd: 400 });
const spend = (toDate: number, forecast?: number): ProviderSpend => ({
  provider: "aws",
  period: { start: "2026-03-01", end: "2026-04-01" },
  currency: "USD",
  toDate,
  ...(forecast !== undefined ? { forecast } : {}),
  forecastBasis: "test",
  topServices: [{ name: "Amazon S3", amount: toDate }],
  notes: [],
});

describe("assessBudget (default thresholds: 80% and 100% actual, 100% forecast)", () => {
  it("is info within every threshold", () => {
    const f = assessBudget(budget, spend(100, 300), "s");
    expect(f.severity).toBe("info");
    expect(f.message).toBe(
      "AWS spend 100.00 USD is 25% of budget monthly (400.00 USD) for 2026-03-01 to 2026-04-01, forecast 300.00 USD (75%): within every threshold",
    );
    expect(f.details).toContain("top services: Amazon S3 100.00 USD");
  });

  it("is medium past the forecast threshold only", () => {
    const f = assessBudget(budget, spend(100, 400), "s");
    expect(f.severity).toBe("medium");
    expect(f.message).toContain("past the forecast threshold of 100% (400.00 USD)");
  });

  it("is medium past 80% actual, naming the actual threshold before the forecast one", () => {
    const f = assessBudget(budget, spend(320, 500), "s");
    expect(f.severity).toBe("medium");
    expect(f.message).toContain("past the actual threshold of 80% (320.00 USD)");
  });

  it("is high at 100% actual", () => {
    const f = assessBudget(budget, spend(400, 410), "s");
    expect(f.severity).toBe("high");
    expect(f.message).toContain("past the actual threshold of 100%");
    expect(f.fix).toContain("a budget only notifies");
  });

  it("could not check when the spend could not be read, never 'within budget'", () => {
    const f = assessBudget(budget, { provider: "aws", error: "no AWS credentials" }, "s");
    expect(f).toMatchObject({ severity: "high", couldNotCheck: true });
    expect(f.message).toContain("could not read the spend — no AWS credentials");
  });

  it("does not compare across currencies", () => {
    const f = assessBudget(budget, { ...spend(10), currency: "EUR" }, "s");
    expect(f).toMatchObject({ couldNotCheck: true });
  });

  it("no forecast: only ACTUAL thresholds can be crossed", () => {
    expect(assessBudget(budget, spend(100), "s").severity).toBe("info");
  });

  it("names each budget by its config key and stack file", () => {
    const vercel = budgetSchema.parse({ name: "team", provider: "vercel", monthlyLimitUsd: 20 });
    const findings = assessBudgets([budget, vercel], { aws: spend(1) }, "stacks/Pulumi.x.yaml");
    expect(findings.map((f) => f.subject)).toEqual([
      "runbooks:budgets[0] monthly in stacks/Pulumi.x.yaml",
      "runbooks:budgets[1] team in stacks/Pulumi.x.yaml",
    ]);
    expect(findings[1]).toMatchObject({ couldNotCheck: true });
  });
});

describe("money", () => {
  it("two decimals, thousands separated, negative kept", () => {
    expect(money(1234567.891, "USD")).toBe("1,234,567.89 USD");
    expect(money(-3, "USD")).toBe("-3.00 USD");
  });
});
