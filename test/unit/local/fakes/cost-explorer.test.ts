/**
 * The Cost Explorer fake, driven through `@aws-sdk/client-cost-explorer` with
 * an endpoint override and static credentials: the SDK signs every request
 * (the fake verifies the SigV4 signature) and maps `__type` to its exception
 * classes, so a wrong error shape shows up as the wrong class.
 */
import {
  CostExplorerClient,
  DataUnavailableException,
  GetCostAndUsageCommand,
  GetCostForecastCommand,
  LimitExceededException,
  type GetCostAndUsageCommandInput,
} from "@aws-sdk/client-cost-explorer";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  startCostExplorerFake,
  type CostExplorerFake,
} from "../../../../infra/local/fakes/cost-explorer";

const ACCESS_KEY = "AKIAFAKE0EXAMPLE0001";
const SECRET_KEY = "fake/secret/key/never-logged/0x7f";
const TODAY = "2026-03-20";

let fake: CostExplorerFake;
let ce: CostExplorerClient;

const client = (
  opts: {
    secretAccessKey?: string;
    accessKeyId?: string;
    maxAttempts?: number;
    requestTimeout?: number;
  } = {},
) =>
  new CostExplorerClient({
    region: "us-east-1",
    endpoint: fake.url,
    credentials: {
      accessKeyId: opts.accessKeyId ?? ACCESS_KEY,
      secretAccessKey: opts.secretAccessKey ?? SECRET_KEY,
    },
    maxAttempts: opts.maxAttempts ?? 1,
  });

/** Thirty days of history: S3 costs 2 USD a day, Lambda 0.5, plus a spike. */
function seed() {
  const rows = [];
  for (let d = 0; d < 30; d++) {
    const date = new Date(Date.parse(`${TODAY}T00:00:00Z`) - (30 - d) * 86_400_000)
      .toISOString()
      .slice(0, 10);
    rows.push({ date, service: "Amazon Simple Storage Service", amount: 2 });
    rows.push({ date, service: "AWS Lambda", amount: 0.5 });
  }
  rows.push({ date: "2026-03-19", service: "AWS Lambda", amount: 10 });
  rows.push({ date: TODAY, service: "AWS Lambda", amount: 0.25 });
  fake.addDailyCosts(rows);
}

beforeEach(async () => {
  fake = await startCostExplorerFake({
    accessKeyId: ACCESS_KEY,
    secretAccessKey: SECRET_KEY,
    today: TODAY,
  });
  ce = client();
  seed();
});

afterEach(async () => {
  expect(JSON.stringify(fake.requests())).not.toContain(SECRET_KEY);
  ce.destroy();
  await fake.stop();
});

async function rejection(
  p: Promise<unknown>,
): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { $metadata: { httpStatusCode?: number } };
  }
  throw new Error("expected the call to fail");
}

const usage = (input: Partial<GetCostAndUsageCommandInput>) =>
  ce.send(
    new GetCostAndUsageCommand({
      TimePeriod: { Start: "2026-03-17", End: "2026-03-21" },
      Granularity: "DAILY",
      Metrics: ["UnblendedCost"],
      ...input,
    } as GetCostAndUsageCommandInput),
  );

describe("GetCostAndUsage", () => {
  it("returns daily totals, End exclusive, with Estimated for days not yet over", async () => {
    const res = await usage({});
    expect(
      res.ResultsByTime?.map((r) => [
        r.TimePeriod?.Start,
        r.Total?.UnblendedCost?.Amount,
        r.Estimated,
      ]),
    ).toEqual([
      ["2026-03-17", "2.5", false],
      ["2026-03-18", "2.5", false],
      ["2026-03-19", "12.5", false],
      ["2026-03-20", "0.25", true],
    ]);
    expect(res.ResultsByTime?.[0]?.Total?.UnblendedCost?.Unit).toBe("USD");
    expect(res.ResultsByTime?.[0]?.Groups).toEqual([]);
  });

  it("groups by SERVICE, leaving Total empty as AWS does", async () => {
    const res = await usage({
      GroupBy: [{ Type: "DIMENSION", Key: "SERVICE" }],
      TimePeriod: { Start: "2026-03-19", End: "2026-03-20" },
    });
    expect(res.GroupDefinitions).toEqual([{ Type: "DIMENSION", Key: "SERVICE" }]);
    const day = res.ResultsByTime![0]!;
    expect(day.Total).toEqual({});
    expect(
      Object.fromEntries(day.Groups!.map((g) => [g.Keys?.[0], g.Metrics?.UnblendedCost?.Amount])),
    ).toEqual({
      "AWS Lambda": "10.5",
      "Amazon Simple Storage Service": "2",
    });
  });

  it("sums MONTHLY pieces by calendar month and filters by service", async () => {
    const res = await usage({
      TimePeriod: { Start: "2026-02-25", End: "2026-03-03" },
      Granularity: "MONTHLY",
      Metrics: ["UnblendedCost", "BlendedCost"],
      Filter: { Dimensions: { Key: "SERVICE", Values: ["Amazon Simple Storage Service"] } },
    });
    expect(
      res.ResultsByTime?.map((r) => [
        r.TimePeriod?.Start,
        r.TimePeriod?.End,
        r.Total?.UnblendedCost?.Amount,
        r.Total?.BlendedCost?.Amount,
      ]),
    ).toEqual([
      ["2026-02-25", "2026-03-01", "8", "8"],
      ["2026-03-01", "2026-03-03", "4", "4"],
    ]);
  });

  it("pages long results with NextPageToken", async () => {
    await fake.stop();
    fake = await startCostExplorerFake({
      accessKeyId: ACCESS_KEY,
      secretAccessKey: SECRET_KEY,
      today: TODAY,
      pageSize: 7,
    });
    ce = client();
    seed();
    // Cost Explorer has no SDK paginator for this call: follow NextPageToken by hand.
    const days: string[] = [];
    let token: string | undefined;
    do {
      const page = await usage({
        TimePeriod: { Start: "2026-02-20", End: "2026-03-20" },
        ...(token ? { NextPageToken: token } : {}),
      });
      days.push(...(page.ResultsByTime ?? []).map((r) => r.TimePeriod!.Start!));
      token = page.NextPageToken;
    } while (token);
    expect(days).toHaveLength(28);
    expect(new Set(days).size).toBe(28);
    expect(fake.count("GetCostAndUsage")).toBe(4);
    const bad = await rejection(usage({ NextPageToken: "bm90LWEtdG9rZW4" }));
    expect(bad.name).toBe("InvalidNextTokenException");
  });

  it("answers ValidationException (400) naming the problem", async () => {
    const cases: [Partial<GetCostAndUsageCommandInput> | Record<string, unknown>, RegExp][] = [
      [
        { TimePeriod: { Start: "2026-03-20", End: "2026-03-17" } },
        /Start date \(and hour\) should be before end date/,
      ],
      [{ TimePeriod: { Start: "03/17/2026", End: "2026-03-20" } }, /YYYY-MM-DD/],
      [{ Granularity: undefined }, /Value null at 'granularity'/],
      [{ Granularity: "WEEKLY" }, /enum value set: \[DAILY, MONTHLY, HOURLY\]/],
      [{ Metrics: ["UNBLENDED_COST"] }, /UnblendedCost here/],
      [{ Metrics: ["UsageQuantity"] }, /cost data only/],
      [{ GroupBy: [{ Type: "DIMENSION", Key: "REGION" }] }, /SERVICE dimension only/],
    ];
    for (const [input, hint] of cases) {
      const err = await rejection(usage(input as Partial<GetCostAndUsageCommandInput>));
      expect(err.name).toBe("ValidationException");
      expect(err.$metadata.httpStatusCode).toBe(400);
      expect(err.message).toMatch(hint);
    }
  });

  it("answers DataUnavailableException while Cost Explorer has no data for the account", async () => {
    fake.setDataUnavailable(true);
    const err = await rejection(usage({}));
    expect(err).toBeInstanceOf(DataUnavailableException);
    fake.setDataUnavailable(false);
    expect((await usage({})).ResultsByTime).toHaveLength(4);
  });
});

describe("GetCostForecast", () => {
  it("forecasts Total and per-period means from recent daily spend, within the prediction interval", async () => {
    const res = await ce.send(
      new GetCostForecastCommand({
        TimePeriod: { Start: TODAY, End: "2026-04-01" },
        Granularity: "MONTHLY",
        Metric: "UNBLENDED_COST",
        PredictionIntervalLevel: 90,
      }),
    );
    // 30 days of history: 29 × 2.5 + 12.5 → mean 2.8333… a day; 12 days left in March.
    expect(Number(res.Total?.Amount)).toBeCloseTo((12 * (29 * 2.5 + 12.5)) / 30, 6);
    expect(res.Total?.Unit).toBe("USD");
    const [march] = res.ForecastResultsByTime!;
    expect(march!.TimePeriod).toEqual({ Start: TODAY, End: "2026-04-01" });
    expect(Number(march!.PredictionIntervalLowerBound)).toBeLessThan(Number(march!.MeanValue));
    expect(Number(march!.PredictionIntervalUpperBound)).toBeGreaterThan(Number(march!.MeanValue));
  });

  it("validates Metric, granularity, interval level and the time window", async () => {
    const forecast = (input: Record<string, unknown>) =>
      rejection(
        ce.send(
          new GetCostForecastCommand({
            TimePeriod: { Start: TODAY, End: "2026-04-01" },
            Granularity: "DAILY",
            Metric: "UNBLENDED_COST",
            ...input,
          } as never),
        ),
      );
    for (const [input, hint] of [
      [{ Metric: "UnblendedCost" }, /UNBLENDED_COST here/],
      [{ Metric: "USAGE_QUANTITY" }, /valid values for a cost forecast/],
      [{ Granularity: "HOURLY" }, /only DAILY and MONTHLY/],
      [{ PredictionIntervalLevel: 50 }, /between 51 and 99/],
      [
        { TimePeriod: { Start: "2026-03-01", End: "2026-04-01" } },
        /equal to or later than the current date/,
      ],
      [{ TimePeriod: { Start: TODAY, End: "2026-08-01" } }, /at most 3 months/],
    ] as const) {
      const err = await forecast(input);
      expect(err.name).toBe("ValidationException");
      expect(err.message).toMatch(hint);
    }
  });

  it("answers DataUnavailableException without enough history", async () => {
    await fake.stop();
    fake = await startCostExplorerFake({
      accessKeyId: ACCESS_KEY,
      secretAccessKey: SECRET_KEY,
      today: TODAY,
    });
    ce = client();
    fake.addDailyCosts([{ date: "2026-03-19", service: "AWS Lambda", amount: 1 }]);
    const err = await rejection(
      ce.send(
        new GetCostForecastCommand({
          TimePeriod: { Start: TODAY, End: "2026-04-01" },
          Granularity: "DAILY",
          Metric: "UNBLENDED_COST",
        }),
      ),
    );
    expect(err).toBeInstanceOf(DataUnavailableException);
    expect(err.message).toMatch(/historical data/);
  });
});

describe("signing, throttling and faults", () => {
  it("verifies the SigV4 signature: a wrong secret or unknown key id is refused", async () => {
    const wrongSecret = await rejection(
      client({ secretAccessKey: "not-the-secret" }).send(
        new GetCostAndUsageCommand({
          TimePeriod: { Start: "2026-03-17", End: "2026-03-18" },
          Granularity: "DAILY",
          Metrics: ["UnblendedCost"],
        }),
      ),
    );
    expect(wrongSecret.name).toBe("InvalidSignatureException");
    const wrongKey = await rejection(
      client({ accessKeyId: "AKIAUNKNOWN000000000" }).send(
        new GetCostAndUsageCommand({
          TimePeriod: { Start: "2026-03-17", End: "2026-03-18" },
          Granularity: "DAILY",
          Metrics: ["UnblendedCost"],
        }),
      ),
    );
    expect(wrongKey.name).toBe("UnrecognizedClientException");
    const unsigned = await fetch(fake.url, {
      method: "POST",
      headers: {
        "x-amz-target": "AWSInsightsIndexService.GetCostAndUsage",
        "content-type": "application/x-amz-json-1.1",
      },
      body: "{}",
    });
    expect(unsigned.status).toBe(403);
    expect(((await unsigned.json()) as { __type: string }).__type).toBe(
      "MissingAuthenticationTokenException",
    );
  });

  it("throttles with LimitExceededException, which the SDK retries", async () => {
    fake.rateLimitNext(1, { route: "GetCostAndUsage" });
    const err = await rejection(usage({}));
    expect(err).toBeInstanceOf(LimitExceededException);
    fake.rateLimitNext(1, { route: "GetCostAndUsage" });
    ce = client({ maxAttempts: 3 });
    expect((await usage({})).ResultsByTime).toHaveLength(4);
    expect(fake.requests().map((r) => [r.route, r.status])).toEqual([
      ["GetCostAndUsage", 400],
      ["GetCostAndUsage", 400],
      ["GetCostAndUsage", 200],
    ]);
  });

  it("enforces its own quota per access key", async () => {
    await fake.stop();
    fake = await startCostExplorerFake({
      accessKeyId: ACCESS_KEY,
      secretAccessKey: SECRET_KEY,
      today: TODAY,
      rateLimit: { limit: 1, windowMs: 60_000 },
    });
    ce = client();
    seed();
    await usage({});
    expect(await rejection(usage({}))).toBeInstanceOf(LimitExceededException);
  });

  it("injected 5xx answers are retried by the SDK; a hung call times out", async () => {
    fake.failNext(2, { route: "GetCostForecast" });
    ce = client({ maxAttempts: 3 });
    const res = await ce.send(
      new GetCostForecastCommand({
        TimePeriod: { Start: TODAY, End: "2026-04-01" },
        Granularity: "MONTHLY",
        Metric: "UNBLENDED_COST",
      }),
    );
    expect(res.Total?.Amount).toBeDefined();
    expect(fake.count("GetCostForecast")).toBe(3);

    fake.hangNext(1, { route: "GetCostAndUsage" });
    ce = client();
    const hung = await rejection(
      ce.send(
        new GetCostAndUsageCommand({
          TimePeriod: { Start: "2026-03-17", End: "2026-03-18" },
          Granularity: "DAILY",
          Metrics: ["UnblendedCost"],
        }),
        { abortSignal: AbortSignal.timeout(150) },
      ),
    );
    expect(hung.name).toMatch(/AbortError|TimeoutError/);
    expect((await usage({})).ResultsByTime).toHaveLength(4);
  });

  it("answers an unknown operation with UnknownOperationException", async () => {
    const res = await fetch(fake.url, {
      method: "POST",
      headers: { "x-amz-target": "AWSInsightsIndexService.GetTags" },
      body: "{}",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { __type: string }).__type).toBe("UnknownOperationException");
  });
});
