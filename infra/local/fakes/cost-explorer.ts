/**
 * A local stand-in for AWS Cost Explorer's `GetCostAndUsage` and
 * `GetCostForecast` (moto implements neither usefully: no forecast, and cost
 * data only from a preloaded queue). AWS JSON 1.1 protocol: `POST /` with
 * `X-Amz-Target: AWSInsightsIndexService.<Operation>`, SigV4-signed requests
 * (checked against the configured secret key) and `{__type, message}` errors.
 *
 * Data is seeded as daily cost per service. The seeded account has no
 * discounts, credits or reservations, so the five cost metrics coincide;
 * usage metrics are refused rather than invented.
 */
import { randomUUID } from "node:crypto";
import {
  FakeServer,
  readJson,
  type Dialect,
  type FakeRequest,
  type FakeResponse,
  type FakeServerHandle,
  type RateLimitOptions,
  type RequestLogEntry,
} from "./http";
import { awsError, missing, validation, verifySigV4 } from "./aws-json";
import {
  buckets,
  DAY_MS,
  parseDate,
  parseFilter,
  parseTimePeriod,
  ymd,
  type Filter,
  type Period,
} from "./cost-explorer-requests";

const TARGET_PREFIX = "AWSInsightsIndexService.";
const COST_METRICS = [
  "AmortizedCost",
  "BlendedCost",
  "NetAmortizedCost",
  "NetUnblendedCost",
  "UnblendedCost",
];
const USAGE_METRICS = ["NormalizedUsageAmount", "UsageQuantity"];
const FORECAST_METRICS = [
  "AMORTIZED_COST",
  "BLENDED_COST",
  "NET_AMORTIZED_COST",
  "NET_UNBLENDED_COST",
  "UNBLENDED_COST",
];
export interface CostExplorerFakeOptions {
  accessKeyId: string;
  secretAccessKey: string;
  /** Signing region (Cost Explorer's endpoint lives in us-east-1). */
  region?: string;
  /** "Today" as YYYY-MM-DD; decides `Estimated` and the forecast start. Defaults to the real date. */
  today?: string;
  /** Days of history a forecast needs; AWS does not publish its minimum. */
  minForecastHistoryDays?: number;
  /** ResultsByTime entries per page before `NextPageToken` is used. */
  pageSize?: number;
  /** Requests per window per access key before `LimitExceededException`. */
  rateLimit?: RateLimitOptions;
  onRequest?: (entry: RequestLogEntry) => void;
}

export interface DailyCost {
  /** YYYY-MM-DD (UTC). */
  date: string;
  /** The SERVICE dimension value, e.g. "Amazon Simple Storage Service". */
  service: string;
  amount: number;
  unit?: string;
}

export interface CostExplorerFake extends FakeServerHandle {
  addDailyCosts(rows: DailyCost[]): void;
  setToday(date: string): void;
  /** When true every call answers `DataUnavailableException`, as for an account whose Cost Explorer is not ready yet. */
  setDataUnavailable(unavailable: boolean): void;
}

interface Ctx {
  accessKeyId: string;
}

const dialect = (opts: {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}): Dialect<Ctx> => ({
  authenticate(req) {
    const problem = verifySigV4(req, opts.accessKeyId, opts.secretAccessKey, opts.region);
    return problem ? { response: problem } : { ctx: { accessKeyId: opts.accessKeyId } };
  },
  rateLimitKey: (_req, ctx) => ctx.accessKeyId,
  commonHeaders: () => ({ "x-amzn-requestid": randomUUID() }),
  // Cost Explorer throttles with LimitExceededException (HTTP 400, no
  // retry-after); the SDK classes that code as throttling and backs off.
  rateLimited: () =>
    awsError(
      400,
      "LimitExceededException",
      "You made too many calls in a short period of time. Try again later.",
    ),
  serverError: (status) =>
    status === 503
      ? awsError(503, "ServiceUnavailableException", "Service is unavailable. Try again later.")
      : awsError(
          status,
          "InternalFailure",
          "The request processing has failed because of an unknown error, exception or failure.",
        ),
  routeNotFound: (req) =>
    awsError(
      400,
      "UnknownOperationException",
      `Unknown operation ${String(req.headers["x-amz-target"] ?? "(no X-Amz-Target header)")}`,
    ),
  badJson: () =>
    awsError(400, "SerializationException", "Start of structure or map found where not expected."),
});

/** Amounts as AWS prints them: a decimal string, unit alongside. */
const amount = (n: number) => String(Math.round(n * 1e10) / 1e10);

export async function startCostExplorerFake(
  options: CostExplorerFakeOptions,
): Promise<CostExplorerFake> {
  const region = options.region ?? "us-east-1";
  const pageSize = options.pageSize ?? 100;
  const minHistory = options.minForecastHistoryDays ?? 7;
  const costs = new Map<string, Map<string, { amount: number; unit: string }>>(); // date → service → cost
  let today = options.today;
  let unavailable = false;

  const todayMs = () => Date.parse(`${today ?? ymd(Date.now())}T00:00:00Z`);

  const sum = (p: Period, filter: Filter | undefined) => {
    const byService = new Map<string, { amount: number; unit: string }>();
    for (let t = p.start; t < p.end; t += DAY_MS) {
      for (const [service, c] of costs.get(ymd(t)) ?? []) {
        if (filter && !filter(service)) continue;
        const prev = byService.get(service);
        byService.set(service, { amount: (prev?.amount ?? 0) + c.amount, unit: c.unit });
      }
    }
    return byService;
  };

  const server = new FakeServer<Ctx>(
    dialect({ accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey, region }),
    options.rateLimit ?? { limit: 600, windowMs: 60_000 },
    options.onRequest,
  );

  const operation = (name: string) => ({
    name,
    when: (h: Record<string, unknown>) => h["x-amz-target"] === `${TARGET_PREFIX}${name}`,
  });

  const json = (body: unknown): FakeResponse => ({
    status: 200,
    headers: { "content-type": "application/x-amz-json-1.1" },
    body,
  });

  const input = (
    req: FakeRequest,
  ): { body: Record<string, unknown> } | { response: FakeResponse } => {
    const body = readJson(req);
    if (typeof body !== "object" || body === null || Array.isArray(body))
      return {
        response: awsError(
          400,
          "SerializationException",
          "The request body must be a JSON object.",
        ),
      };
    return { body: body as Record<string, unknown> };
  };

  /** What both operations check first, in the order Cost Explorer reports it. */
  const request = (
    req: FakeRequest,
  ): { body: Record<string, unknown>; period: Period } | { response: FakeResponse } => {
    const parsed = input(req);
    if ("response" in parsed) return parsed;
    if (unavailable)
      return {
        response: awsError(400, "DataUnavailableException", "The requested data is unavailable."),
      };
    const period = parseTimePeriod(parsed.body.TimePeriod);
    if ("status" in period) return { response: period };
    return { body: parsed.body, period };
  };

  server.on(
    "POST",
    "/",
    (req) => {
      const parsed = request(req);
      if ("response" in parsed) return parsed.response;
      const { body: o, period } = parsed;
      if (o.Granularity === undefined) return missing("granularity");
      if (o.Granularity === "HOURLY")
        return validation(
          "Hourly granularity is not enabled for this account; this stand-in serves DAILY and MONTHLY.",
        );
      if (o.Granularity !== "DAILY" && o.Granularity !== "MONTHLY")
        return validation(
          `Value '${String(o.Granularity)}' at 'granularity' failed to satisfy constraint: Member must satisfy enum value set: [DAILY, MONTHLY, HOURLY]`,
        );
      if (!Array.isArray(o.Metrics) || o.Metrics.length === 0) return missing("metrics");
      const metrics = o.Metrics as unknown[];
      const unknown = metrics.filter(
        (m) => typeof m !== "string" || ![...COST_METRICS, ...USAGE_METRICS].includes(m),
      );
      if (unknown.length)
        return validation(
          `Metrics [${unknown.join(", ")}] are not valid. Valid values: ${[...COST_METRICS, ...USAGE_METRICS].join(", ")} (note the spelling: GetCostForecast's UNBLENDED_COST is UnblendedCost here).`,
        );
      const usage = metrics.filter((m) => USAGE_METRICS.includes(m as string));
      if (usage.length)
        return validation(
          `This Cost Explorer stand-in holds cost data only; ${usage.join(", ")} is not seeded.`,
        );
      let groupBy: "SERVICE" | undefined;
      if (o.GroupBy !== undefined) {
        if (!Array.isArray(o.GroupBy) || o.GroupBy.length > 2)
          return validation("GroupBy takes at most two group definitions.");
        for (const g of o.GroupBy as Record<string, unknown>[]) {
          if (g?.Type !== "DIMENSION" && g?.Type !== "TAG" && g?.Type !== "COST_CATEGORY")
            return validation(
              `Value '${String(g?.Type)}' at 'groupBy.member.type' failed to satisfy constraint: Member must satisfy enum value set: [DIMENSION, TAG, COST_CATEGORY]`,
            );
          if (g.Type !== "DIMENSION" || g.Key !== "SERVICE")
            return validation(
              `This Cost Explorer stand-in groups by the SERVICE dimension only, not ${String(g.Type)} ${String(g.Key)}.`,
            );
        }
        if ((o.GroupBy as unknown[]).length === 2)
          return validation("Group Definitions must be unique: SERVICE was given twice.");
        if (o.GroupBy.length === 1) groupBy = "SERVICE";
      }
      let filter: Filter | undefined;
      if (o.Filter !== undefined) {
        const f = parseFilter(o.Filter);
        if (typeof f === "string") return validation(f);
        filter = f;
      }
      const all = buckets(period, o.Granularity);
      let offset = 0;
      if (o.NextPageToken !== undefined) {
        const decoded = Number(
          Buffer.from(String(o.NextPageToken), "base64url")
            .toString("utf8")
            .replace(/^page:/, ""),
        );
        if (!Number.isInteger(decoded) || decoded <= 0 || decoded >= all.length)
          return awsError(
            400,
            "InvalidNextTokenException",
            "The pagination token is invalid. Try again without a pagination token.",
          );
        offset = decoded;
      }
      const page = all.slice(offset, offset + pageSize);
      const results = page.map((b) => {
        const byService = sum(b, filter);
        const metricsOf = (n: number, unit: string) =>
          Object.fromEntries(
            (metrics as string[]).map((m) => [m, { Amount: amount(n), Unit: unit }]),
          );
        const total = [...byService.values()].reduce((a, c) => a + c.amount, 0);
        const unit = [...byService.values()][0]?.unit ?? "USD";
        return {
          TimePeriod: { Start: ymd(b.start), End: ymd(b.end) },
          // With GroupBy, AWS leaves Total empty and reports per group.
          Total: groupBy ? {} : metricsOf(total, unit),
          Groups: groupBy
            ? [...byService.entries()]
                .sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0))
                .map(([service, c]) => ({ Keys: [service], Metrics: metricsOf(c.amount, c.unit) }))
            : [],
          // Periods not yet over are estimates until the bill is final.
          Estimated: b.end > todayMs(),
        };
      });
      const next =
        offset + pageSize < all.length
          ? Buffer.from(`page:${offset + pageSize}`).toString("base64url")
          : undefined;
      return json({
        ...(groupBy ? { GroupDefinitions: [{ Type: "DIMENSION", Key: "SERVICE" }] } : {}),
        ResultsByTime: results,
        DimensionValueAttributes: [],
        ...(next ? { NextPageToken: next } : {}),
      });
    },
    operation("GetCostAndUsage"),
  );

  server.on(
    "POST",
    "/",
    (req) => {
      const parsed = request(req);
      if ("response" in parsed) return parsed.response;
      const { body: o, period } = parsed;
      if (o.Metric === undefined) return missing("metric");
      if (typeof o.Metric !== "string" || !FORECAST_METRICS.includes(o.Metric))
        return validation(
          `Value '${String(o.Metric)}' at 'metric' failed to satisfy constraint: valid values for a cost forecast are ${FORECAST_METRICS.join(", ")} (note the spelling: GetCostAndUsage's UnblendedCost is UNBLENDED_COST here).`,
        );
      if (o.Granularity === undefined) return missing("granularity");
      // "The GetCostForecast operation supports only DAILY and MONTHLY
      // granularities", with up to 3 months of DAILY or 12 of MONTHLY
      // forecasts (API reference, GetCostForecast).
      if (o.Granularity !== "DAILY" && o.Granularity !== "MONTHLY")
        return validation("GetCostForecast supports only DAILY and MONTHLY granularities.");
      const level = o.PredictionIntervalLevel ?? 80;
      if (typeof level !== "number" || !Number.isInteger(level) || level < 51 || level > 99)
        return validation("PredictionIntervalLevel must be an integer between 51 and 99.");
      if (period.start < todayMs())
        return validation("Start date must be equal to or later than the current date.");
      const maxEnd =
        o.Granularity === "DAILY"
          ? Date.UTC(
              new Date(period.start).getUTCFullYear(),
              new Date(period.start).getUTCMonth() + 3,
              new Date(period.start).getUTCDate(),
            )
          : Date.UTC(
              new Date(period.start).getUTCFullYear(),
              new Date(period.start).getUTCMonth() + 12,
              1,
            );
      if (period.end > maxEnd)
        return validation(
          `A ${o.Granularity} forecast can cover at most ${o.Granularity === "DAILY" ? "3 months" : "12 months"}.`,
        );
      let filter: Filter | undefined;
      if (o.Filter !== undefined) {
        const f = parseFilter(o.Filter);
        if (typeof f === "string") return validation(f);
        filter = f;
      }
      // The forecast is the trailing daily mean (up to 30 days before today),
      // with an interval from the daily spread: simple, and explainable.
      const history: number[] = [];
      let unit = "USD";
      for (let t = todayMs() - 30 * DAY_MS; t < todayMs(); t += DAY_MS) {
        const day = costs.get(ymd(t));
        if (!day) continue;
        let total = 0;
        for (const [service, c] of day) {
          if (filter && !filter(service)) continue;
          total += c.amount;
          unit = c.unit;
        }
        history.push(total);
      }
      if (history.length < minHistory)
        return awsError(
          400,
          "DataUnavailableException",
          "Insufficient amount of historical data to generate forecast.",
        );
      const mean = history.reduce((a, b) => a + b, 0) / history.length;
      const sd = Math.sqrt(history.reduce((a, b) => a + (b - mean) ** 2, 0) / history.length);
      const z = normalQuantile(0.5 + level / 200);
      const results = buckets(period, o.Granularity).map((b) => {
        const days = (b.end - b.start) / DAY_MS;
        const spread = z * sd * Math.sqrt(days);
        return {
          TimePeriod: { Start: ymd(b.start), End: ymd(b.end) },
          MeanValue: amount(mean * days),
          PredictionIntervalLowerBound: amount(Math.max(0, mean * days - spread)),
          PredictionIntervalUpperBound: amount(mean * days + spread),
        };
      });
      const total = results.reduce((a, r) => a + Number(r.MeanValue), 0);
      return json({ Total: { Amount: amount(total), Unit: unit }, ForecastResultsByTime: results });
    },
    operation("GetCostForecast"),
  );

  const handle = await server.listen();
  return {
    ...handle,
    addDailyCosts(rows) {
      for (const r of rows) {
        const ms = parseDate(r.date, "date");
        if (typeof ms === "string") throw new Error(ms);
        if (!Number.isFinite(r.amount))
          throw new Error(`cost for ${r.service} on ${r.date} must be a finite number`);
        const day = costs.get(r.date) ?? new Map();
        const prev = day.get(r.service);
        day.set(r.service, { amount: (prev?.amount ?? 0) + r.amount, unit: r.unit ?? "USD" });
        costs.set(r.date, day);
      }
    },
    setToday(date) {
      const ms = parseDate(date, "today");
      if (typeof ms === "string") throw new Error(ms);
      today = date;
    },
    setDataUnavailable(value) {
      unavailable = value;
    },
  };
}

/** Inverse of the standard normal CDF (Acklam's rational approximation). */
function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const poly = (k: number[], x: number) => k.reduce((acc, v) => acc * x + v, 0);
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -poly(c, q) / (poly(d, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}
