/**
 * AWS spend for the calendar month (AWS Budgets' period): month to date from
 * GetCostAndUsage grouped by service, and the rest of the month from
 * GetCostForecast. Cost Explorer's `End` is exclusive and its forecast must
 * start no earlier than today, so month-to-date runs to tomorrow and the
 * forecast from tomorrow: today is counted once.
 */
import type {
  CostExplorerClient,
  GetCostAndUsageCommandOutput,
} from "@aws-sdk/client-cost-explorer";
import { DAY_MS, startOfDay, topOf, ymd, type ProviderSpend } from "./spend";

export interface AwsCostOptions {
  now: number;
  top: number;
}

/** Error names Cost Explorer uses for "no forecast possible", as opposed to "the call failed". */
const NO_FORECAST = new Set(["DataUnavailableException"]);

export async function readAwsSpend(
  client: CostExplorerClient,
  options: AwsCostOptions,
): Promise<ProviderSpend> {
  const { GetCostAndUsageCommand, GetCostForecastCommand } =
    await import("@aws-sdk/client-cost-explorer");
  const today = startOfDay(options.now);
  const d = new Date(today);
  const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const nextMonth = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  const tomorrow = today + DAY_MS;

  const byService = new Map<string, number>();
  let currency = "USD";
  let estimated = false;
  let token: string | undefined;
  do {
    const page: GetCostAndUsageCommandOutput = await client.send(
      new GetCostAndUsageCommand({
        TimePeriod: { Start: ymd(monthStart), End: ymd(tomorrow) },
        Granularity: "MONTHLY",
        Metrics: ["UnblendedCost"],
        GroupBy: [{ Type: "DIMENSION", Key: "SERVICE" }],
        ...(token ? { NextPageToken: token } : {}),
      }),
    );
    for (const period of page.ResultsByTime ?? []) {
      if (period.Estimated) estimated = true;
      for (const group of period.Groups ?? []) {
        const cost = group.Metrics?.UnblendedCost;
        const name = group.Keys?.[0] ?? "(no service)";
        if (cost?.Unit) currency = cost.Unit;
        byService.set(name, (byService.get(name) ?? 0) + Number(cost?.Amount ?? 0));
      }
    }
    token = page.NextPageToken;
  } while (token);
  const toDate = [...byService.values()].reduce((a, b) => a + b, 0);

  let forecast: number | undefined;
  let forecastBasis: string;
  if (tomorrow >= nextMonth) {
    forecast = toDate;
    forecastBasis = "the last day of the month: the month to date is the month";
  } else {
    try {
      const f = await client.send(
        new GetCostForecastCommand({
          TimePeriod: { Start: ymd(tomorrow), End: ymd(nextMonth) },
          Metric: "UNBLENDED_COST",
          Granularity: "MONTHLY",
        }),
      );
      forecast = toDate + Number(f.Total?.Amount ?? 0);
      forecastBasis = `month to date plus Cost Explorer's forecast for ${ymd(tomorrow)} to ${ymd(nextMonth - DAY_MS)}`;
    } catch (error) {
      if (!NO_FORECAST.has((error as Error).name)) throw error;
      forecastBasis = `no forecast: Cost Explorer says ${(error as Error).message}`;
    }
  }
  return {
    provider: "aws",
    period: { start: ymd(monthStart), end: ymd(nextMonth) },
    currency,
    toDate,
    ...(forecast !== undefined ? { forecast } : {}),
    forecastBasis,
    topServices: topOf(byService, options.top),
    notes: estimated ? ["AWS marks this month's figures as estimated until the bill is final"] : [],
  };
}
