/**
 * cost:guard against the Cost Explorer and Vercel stand-ins, driven by
 * `@aws-sdk/client-cost-explorer` (SigV4 checked by the stand-in) and by
 * Vercel's FOCUS charges endpoint: budgets from a real stack file, the end
 * of a Vercel billing cycle, one provider failing, and bad input.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  startCostExplorerFake,
  type CostExplorerFake,
} from "../../../infra/local/fakes/cost-explorer";
import {
  startVercelFake,
  type FocusCharge,
  type VercelFake,
} from "../../../infra/local/fakes/vercel/index";
import type { Finding } from "../../../infra/lib/findings";
import { costGuard } from "../../../scripts/cost-guard";
import { randomFrom } from "../../support/fake-secrets";
import { runScript } from "../checks/helpers";

const NOW = Date.parse("2026-03-20T12:00:00Z");
const TEAM = { id: "team_costguard0000000000000001", slug: "acme" };
const ACCESS_KEY = `AKIA${randomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}`;
const SECRET_KEY = randomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 40);
const TOKEN = `vcp_${randomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 24)}`;

let ce: CostExplorerFake;
let vercel: VercelFake;
const root = mkdtempSync(join(tmpdir(), "runbooks-cost-guard-"));
mkdirSync(join(root, "stacks"));

function stackFile(name: string, budgets: string[]): void {
  writeFileSync(
    join(root, "stacks", `Pulumi.${name}.yaml`),
    [
      "config:",
      "  aws:region: eu-west-1",
      "  runbooks:owner: ops",
      "  runbooks:features: { github: false, backupStorage: false, alerts: false }",
      "  runbooks:vercel:",
      "    projectName: web",
      `    teamId: ${TEAM.id}`,
      "    gitRepository: { repo: acme/web }",
      "  runbooks:budgets:",
      ...budgets.map((b) => `    - ${b}`),
      "",
    ].join("\n"),
  );
}

const charge = (
  day: string,
  service: string,
  cost: number,
  extra: Partial<FocusCharge> = {},
): FocusCharge => ({
  BilledCost: cost,
  BillingCurrency: "USD",
  ChargeCategory: "Usage",
  ChargePeriodStart: `${day}T00:00:00.000Z`,
  ChargePeriodEnd: new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString(),
  ConsumedQuantity: cost,
  ConsumedUnit: "GB-Hours",
  EffectiveCost: cost,
  PricingCategory: "Standard",
  PricingCurrency: "USD",
  PricingQuantity: cost,
  PricingUnit: "GB-Hours",
  ServiceName: service,
  ServiceProviderName: "Vercel",
  Tags: { ProjectName: "web" },
  ...extra,
});

function env(over: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: SECRET_KEY,
    AWS_ENDPOINT_URL_COST_EXPLORER: ce.url,
    VERCEL_TOKEN: TOKEN,
    VERCEL_API_URL: vercel.url,
    ...over,
  };
}

const guard = (argv: string[], e: NodeJS.ProcessEnv = env()) =>
  runScript(costGuard, argv, {
    root,
    env: e,
    now: () => NOW,
    deps: { sleep: async () => undefined },
  });

interface Envelope {
  exitCode: number;
  findings: Finding[];
  report: {
    spend: {
      aws?: { toDate: number; forecast?: number; topServices: { name: string }[]; error?: string };
      vercel?: {
        toDate: number;
        period: { start: string; end: string };
        notes: string[];
        error?: string;
      };
    };
  };
}

beforeAll(async () => {
  ce = await startCostExplorerFake({
    accessKeyId: ACCESS_KEY,
    secretAccessKey: SECRET_KEY,
    today: "2026-03-20",
  });
  // Twenty days of March plus February, for the forecast's history: 10 USD a day on S3, 2 on Lambda.
  const rows = [];
  for (
    let t = Date.parse("2026-02-01T00:00:00Z");
    t <= Date.parse("2026-03-20T00:00:00Z");
    t += 86_400_000
  ) {
    const date = new Date(t).toISOString().slice(0, 10);
    rows.push({ date, service: "Amazon Simple Storage Service", amount: 10 });
    rows.push({ date, service: "AWS Lambda", amount: 2 });
  }
  ce.addDailyCosts(rows);
  vercel = await startVercelFake({ token: TOKEN, teams: [TEAM], billingCycleDay: 15 });
  vercel.addCharges(TEAM.id, [
    // The cycle that closed on 15 March, with its late rows: a big final adjustment and a credit.
    charge("2026-03-01", "Functions", 30),
    charge("2026-03-14", "Functions", 20),
    charge("2026-03-16", "Invoice", 70, {
      ChargeCategory: "Adjustment",
      BillingPeriodStart: "2026-02-15T00:00:00.000Z",
      BillingPeriodEnd: "2026-03-15T00:00:00.000Z",
    }),
    charge("2026-03-14", "Credits", -5, { ChargeCategory: "Credit" }),
    // The cycle that started on 15 March.
    charge("2026-03-15", "Functions", 1),
    charge("2026-03-18", "Edge Requests", 2, { Tags: { ProjectName: "docs" } }),
    charge("2026-03-20", "Functions", 1),
  ]);
});

afterEach(() => {
  ce.clearFaults();
  vercel.clearFaults();
});

afterAll(async () => {
  await Promise.all([ce?.stop(), vercel?.stop()]);
});

function expectNoSecrets(...outputs: string[]) {
  for (const out of outputs) for (const s of [SECRET_KEY, TOKEN]) expect(out).not.toContain(s);
}

describe("cost:guard within budgets", () => {
  it("reads both providers and passes (exit 0), with top services and projects", async () => {
    stackFile("ok", [
      "{ name: aws-monthly, monthlyLimitUsd: 1000 }",
      "{ name: vercel-team, provider: vercel, monthlyLimitUsd: 50 }",
    ]);
    const result = await guard(["--stack", "ok"]);
    expectNoSecrets(result.stdout, result.stderr);
    expect(result.code).toBe(0);
    // 20 days of March at 12 USD.
    expect(result.stdout).toContain(
      "AWS     240.00 USD so far (2026-03-01 to 2026-04-01), forecast",
    );
    expect(result.stdout).toContain("Vercel  4.00 USD so far (2026-03-15 to 2026-04-15)");
    expect(result.stdout).toContain(
      "top services: Amazon Simple Storage Service 200.00 USD, AWS Lambda 40.00 USD",
    );
    expect(result.stdout).toContain("top projects: docs 2.00 USD, web 2.00 USD");
    expect(result.stdout).toContain("Result: ALL GOOD (exit 0)");
  });

  it("the end of a Vercel cycle is not an overspend: the closed cycle (115 USD, over the 50 USD budget) is not counted", async () => {
    stackFile("eoc", ["{ name: vercel-team, provider: vercel, monthlyLimitUsd: 50 }"]);
    const result = await guard(["--stack", "eoc", "--json"]);
    expect(result.code).toBe(0);
    const { report } = JSON.parse(result.stdout) as Envelope;
    expect(report.spend.vercel!.toDate).toBe(4);
    expect(report.spend.vercel!.period).toEqual({ start: "2026-03-15", end: "2026-04-15" });
    expect(report.spend.vercel!.notes).toEqual([
      "the previous cycle (2026-02-15 to 2026-03-15) closed at 115.00; its late rows are not counted in this cycle",
    ]);
  });
});

describe("cost:guard past a threshold (exit 1)", () => {
  it("AWS past 100% of its limit is high", async () => {
    stackFile("aws-over", ["{ name: aws-monthly, monthlyLimitUsd: 200 }"]);
    const result = await guard(["--stack", "aws-over", "--json"]);
    expect(result.code).toBe(1);
    const [f] = (JSON.parse(result.stdout) as Envelope).findings;
    expect(f).toMatchObject({ id: "stay-within-budget", severity: "high" });
    expect(f!.message).toContain("AWS spend 240.00 USD is 120% of budget aws-monthly (200.00 USD)");
    expect(f!.subject).toBe("runbooks:budgets[0] aws-monthly in stacks/Pulumi.aws-over.yaml");
  });

  it("AWS within its limit but forecast past it is medium, from Cost Explorer's forecast", async () => {
    stackFile("aws-forecast", ["{ name: aws-monthly, monthlyLimitUsd: 330 }"]);
    const result = await guard(["--stack", "aws-forecast", "--json"]);
    expect(result.code).toBe(1);
    const { findings, report } = JSON.parse(result.stdout) as Envelope;
    expect(findings[0]).toMatchObject({ severity: "medium" });
    expect(findings[0]!.message).toContain("past the forecast threshold of 100%");
    // 240 so far plus 11 more days at the trailing mean of 12 USD.
    expect(report.spend.aws!.forecast).toBeCloseTo(240 + 11 * 12, 5);
    expect(ce.count("GetCostForecast")).toBeGreaterThan(0);
  });

  it("Vercel over a custom actual threshold is medium, and the human output says which", async () => {
    stackFile("vercel-50", [
      "{ name: vercel-team, provider: vercel, monthlyLimitUsd: 6, thresholds: [{ percent: 50, type: ACTUAL }] }",
    ]);
    const result = await guard(["--stack", "vercel-50"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/MEDIUM {4}Vercel spend 4.00 USD is 67% of budget vercel-team/);
    expect(result.stdout).toContain("past the actual threshold of 50% (3.00 USD)");
    expect(result.stdout).toContain("Spend Management");
  });
});

describe("cost:guard when a provider cannot be read", () => {
  it("without a Vercel token the Vercel budget could not be checked (exit 2) and AWS still is", async () => {
    stackFile("both", [
      "{ name: aws-monthly, monthlyLimitUsd: 1000 }",
      "{ name: vercel-team, provider: vercel, monthlyLimitUsd: 50 }",
    ]);
    const result = await guard(["--stack", "both", "--json"], env({ VERCEL_TOKEN: undefined }));
    expect(result.code).toBe(2);
    const { findings } = JSON.parse(result.stdout) as Envelope;
    const vercelFinding = findings.find((f) => f.message.includes("vercel-team"))!;
    expect(vercelFinding).toMatchObject({ couldNotCheck: true });
    expect(vercelFinding.message).toContain(
      `no Vercel token: set VERCEL_TOKEN to an access token scoped to team ${TEAM.id}`,
    );
    expect(findings.find((f) => f.message.includes("aws-monthly"))).toMatchObject({
      severity: "info",
    });
  });

  it("a wrong AWS secret is refused by the signature check: could not check, and the secret is not printed", async () => {
    stackFile("aws-only", ["{ name: aws-monthly, monthlyLimitUsd: 1000 }"]);
    const wrong = randomFrom("abcdefghijklmnopqrstuvwxyz0123456789", 40);
    const result = await guard(["--stack", "aws-only"], env({ AWS_SECRET_ACCESS_KEY: wrong }));
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(
      "could not read the spend — The request signature we calculated does not match",
    );
    expect(result.stdout + result.stderr).not.toContain(wrong);
  });

  it("retries a Cost Explorer 500 and a Vercel 429 and still answers", async () => {
    stackFile("retry", [
      "{ name: aws-monthly, monthlyLimitUsd: 1000 }",
      "{ name: vercel-team, provider: vercel, monthlyLimitUsd: 50 }",
    ]);
    ce.failNext(1, { route: "GetCostAndUsage" });
    vercel.rateLimitNext(1, { route: "/v1/billing/charges", retryAfterSeconds: 1 });
    const result = await guard(["--stack", "retry"]);
    expect(result.code).toBe(0);
  });

  it("Cost Explorer without data (an account whose Cost Explorer is not ready) could not be checked, and says why", async () => {
    stackFile("no-data", ["{ name: aws-monthly, monthlyLimitUsd: 1000 }"]);
    ce.setDataUnavailable(true);
    try {
      const result = await guard(["--stack", "no-data", "--json"]);
      expect(result.code).toBe(2);
      expect((JSON.parse(result.stdout) as Envelope).findings[0]!.message).toContain(
        "The requested data is unavailable",
      );
    } finally {
      ce.setDataUnavailable(false);
    }
  });

  it("a forecast Cost Explorer cannot make (too little history) is said, not guessed", async () => {
    const young = await startCostExplorerFake({
      accessKeyId: ACCESS_KEY,
      secretAccessKey: SECRET_KEY,
      today: "2026-03-20",
    });
    try {
      young.addDailyCosts([
        { date: "2026-03-19", service: "AWS Lambda", amount: 1 },
        { date: "2026-03-20", service: "AWS Lambda", amount: 1 },
      ]);
      stackFile("young", ["{ name: aws-monthly, monthlyLimitUsd: 1 }"]);
      const result = await guard(
        ["--stack", "young", "--json"],
        env({ AWS_ENDPOINT_URL_COST_EXPLORER: young.url }),
      );
      const { findings, report } = JSON.parse(result.stdout) as Envelope;
      expect(report.spend.aws!.forecast).toBeUndefined();
      expect(findings[0]!.details).toContain(
        "forecast: no forecast: Cost Explorer says Insufficient amount of historical data to generate forecast.",
      );
      // The actual threshold still applies: 2 USD of a 1 USD budget.
      expect(result.code).toBe(1);
    } finally {
      await young.stop();
    }
  });
});

describe("cost:guard bad input (exit 2)", () => {
  it("without --stack, with a stack that sets no budgets, with a stack that does not exist", async () => {
    const none = await guard([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      "cost:guard compares spend with a stack's budgets: pass --stack <name>",
    );
    expect(none.stderr).toContain("USAGE runbooks cost:guard");
    writeFileSync(
      join(root, "stacks", "Pulumi.bare.yaml"),
      "config:\n  runbooks:owner: ops\n  runbooks:features: { vercel: false, github: false, backupStorage: false, alerts: false }\n",
    );
    const bare = await guard(["--stack", "bare"]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("stacks/Pulumi.bare.yaml sets no runbooks:budgets");
    const missing = await guard(["--stack", "nosuch", "--json"]);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).error).toContain("no stack 'nosuch'");
  });

  it("a budget with an unknown provider is a config error naming the key", async () => {
    stackFile("bad-provider", ["{ name: x, monthlyLimitUsd: 1, provider: gcp }"]);
    const result = await guard(["--stack", "bad-provider"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("runbooks:budgets[0].provider");
  });
});
