/**
 * Spend against the stack's budgets. Pure. Each budget's thresholds are
 * checked as AWS Budgets checks them (ACTUAL against spend to date,
 * FORECASTED against the period's forecast); the worst crossed threshold
 * decides the finding: at or past 100 % of the actual limit is high, any
 * other crossed threshold is medium, none is info. A budget whose spend
 * could not be read could not be checked, which is never "within budget".
 */
import type { BudgetConfig } from "../config/index";
import type { Finding } from "../lib/findings";
import { money, type CostProvider, type ProviderSpend } from "./spend";

export type SpendRead = ProviderSpend | { provider: CostProvider; error: string };

const NAME: Record<CostProvider, string> = { aws: "AWS", vercel: "Vercel" };

const NEXT: Record<CostProvider, string> = {
  aws: "find what grew in Cost Explorer (group by service, then usage type) and stop it at its source; a budget only notifies, it never stops spend",
  vercel:
    "find what grew in the Vercel dashboard (Usage, by project), and cap it with Spend Management (it can pause production deployments); a budget here only notifies",
};

function percent(value: number, limit: number): number {
  return Math.round((value / limit) * 100);
}

function lines(label: string, spend: ProviderSpend, list: ProviderSpend["topServices"]): string[] {
  if (list.length === 0) return [];
  return [
    `${label}: ${list.map((l) => `${l.name} ${money(l.amount, spend.currency)}`).join(", ")}`,
  ];
}

export function assessBudget(budget: BudgetConfig, read: SpendRead, subject: string): Finding {
  const who = NAME[budget.provider];
  const limit = money(budget.monthlyLimitUsd, "USD");
  const id = "stay-within-budget";
  if ("error" in read)
    return {
      id,
      severity: "high",
      subject,
      message: `budget ${budget.name} (${who}, ${limit}): could not read the spend — ${read.error}`,
      fix:
        budget.provider === "aws"
          ? "give the AWS credentials ce:GetCostAndUsage and ce:GetCostForecast (AWS_PROFILE, or a role), then run cost:guard again"
          : "set VERCEL_TOKEN to a token of a team member with a billing-capable role (Owner, Member, Billing, …), then run cost:guard again",
      couldNotCheck: true,
    };
  if (read.currency !== "USD")
    return {
      id,
      severity: "medium",
      subject,
      message: `budget ${budget.name} is in USD but ${who} bills in ${read.currency}: not compared`,
      fix: "compare by hand, or set the budget in the billing currency's USD equivalent",
      couldNotCheck: true,
    };
  const crossed = budget.thresholds
    .map((t) => {
      const value = t.type === "ACTUAL" ? read.toDate : read.forecast;
      const at = (budget.monthlyLimitUsd * t.percent) / 100;
      return { ...t, value, at, over: value !== undefined && value >= at };
    })
    .filter((t) => t.over);
  const actualPct = percent(read.toDate, budget.monthlyLimitUsd);
  const forecastText =
    read.forecast !== undefined
      ? `forecast ${money(read.forecast, read.currency)} (${percent(read.forecast, budget.monthlyLimitUsd)}%)`
      : "no forecast";
  const summary = `${who} spend ${money(read.toDate, read.currency)} is ${actualPct}% of budget ${budget.name} (${limit}) for ${read.period.start} to ${read.period.end}, ${forecastText}`;
  const details = [
    ...lines("top services", read, read.topServices),
    ...(read.topProjects ? lines("top projects", read, read.topProjects) : []),
    `forecast: ${read.forecastBasis}`,
    ...read.notes,
  ];
  if (crossed.length === 0)
    return {
      id,
      severity: "info",
      subject,
      message: `${summary}: within every threshold`,
      details,
      fix: "",
    };
  const worst = crossed.sort(
    (a, b) => Number(b.type === "ACTUAL") - Number(a.type === "ACTUAL") || b.percent - a.percent,
  )[0]!;
  const overLimit = crossed.some((t) => t.type === "ACTUAL" && t.percent >= 100);
  return {
    id,
    severity: overLimit ? "high" : "medium",
    subject,
    message: `${summary}: past the ${worst.type === "ACTUAL" ? "actual" : "forecast"} threshold of ${worst.percent}% (${money(worst.at, "USD")})`,
    details,
    fix: NEXT[budget.provider],
  };
}

/** Every budget of the stack, in config order. */
export function assessBudgets(
  budgets: readonly BudgetConfig[],
  reads: Partial<Record<CostProvider, SpendRead>>,
  stackFile: string,
): Finding[] {
  return budgets.map((b, i) =>
    assessBudget(
      b,
      reads[b.provider] ?? { provider: b.provider, error: "not read" },
      `runbooks:budgets[${i}] ${b.name} in ${stackFile}`,
    ),
  );
}
