/**
 * health:check's status boundaries against real servers, latency over
 * several samples against a budget (flag and stack), and the certificate of
 * an https endpoint: short-lived certificates made in this test, served by a
 * real TLS server on loopback.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { healthCheck, type HealthCheckDeps } from "../../../scripts/health-check";
import {
  fetchTrusting,
  json,
  makeCertificate,
  runScript,
  sleep,
  startServer,
  startTlsServer,
  type TestServer,
} from "./helpers";

const DAY = 86_400_000;
const scratch = mkdtempSync(join(tmpdir(), "runbooks-health-tls-"));
const servers: TestServer[] = [];

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

function check(argv: string[], io: { root?: string; deps?: Partial<HealthCheckDeps> } = {}) {
  return runScript(healthCheck, argv, { root: scratch, ...io });
}

async function keep(server: Promise<TestServer>): Promise<TestServer> {
  const s = await server;
  servers.push(s);
  return s;
}

interface Envelope {
  exitCode: number;
  findings: { id: string; severity: string; message: string; couldNotCheck?: boolean }[];
  report: {
    state: string;
    attempts: unknown[];
    latency?: { samples: number; minMs: number; medianMs: number; p95Ms: number };
    certificate?: { daysLeft: number; trusted: boolean; trustError?: string; error?: string };
    thresholds: { samples: number; latencyBudgetMs?: number; latencyBudgetSource?: string };
  };
}

describe("status boundaries against a real server", () => {
  it.each([
    [200, 0],
    [299, 0],
    [300, 1],
    [500, 1],
    [599, 1],
  ])("HTTP %i exits %i", async (status, code) => {
    const s = await keep(startServer((_req, res) => json(res, status, { status: "ok" })));
    const result = await check(["--url", `${s.url}/health`, "--attempts", "1", "--json"]);
    expect(result.code).toBe(code);
    const envelope = JSON.parse(result.stdout) as Envelope;
    expect(envelope.report.state).toBe(code === 0 ? "up" : "down");
  });
});

describe("latency over samples", () => {
  it("measures min/median/p95 over --samples requests and prints them", async () => {
    const s = await keep(startServer((_req, res) => json(res, 200, { status: "ok" })));
    const result = await check(["--url", `${s.url}/health`, "--samples", "6"]);
    expect(result.code).toBe(0);
    expect(s.requests).toBe(6);
    expect(result.stdout).toMatch(
      /latency over 6 responses: min \d+ ms, median \d+ ms, p95 \d+ ms/,
    );
  });

  it("fails (exit 1) when p95 is over --budget, and passes within it", async () => {
    const s = await keep(
      startServer(async (_req, res, n) => {
        // Every third request is slow: p95 over 6 samples is a slow one.
        if (n % 3 === 0) await sleep(150);
        json(res, 200, { status: "ok" });
      }),
    );
    const over = await check([
      "--url",
      `${s.url}/h`,
      "--samples",
      "6",
      "--budget",
      "100",
      "--json",
    ]);
    expect(over.code).toBe(1);
    const envelope = JSON.parse(over.stdout) as Envelope;
    expect(envelope.report.latency!.p95Ms).toBeGreaterThanOrEqual(150);
    expect(envelope.report.latency!.minMs).toBeLessThan(100);
    expect(envelope.findings).toContainEqual(
      expect.objectContaining({ id: "health-latency-budget", severity: "medium" }),
    );
    const within = await check(["--url", `${s.url}/h`, "--samples", "6", "--budget", "5000"]);
    expect(within.code).toBe(0);
    expect(within.stdout).toContain("within the latency budget of 5000 ms (--budget)");
  });

  it("takes the budget from the stack's alerts.healthCheck.latencyBudgetMs, with 5 samples by default", async () => {
    const s = await keep(
      startServer(async (_req, res) => {
        await sleep(60);
        json(res, 200, { status: "ok" });
      }),
    );
    const root = join(scratch, "stack-root");
    mkdirSync(join(root, "stacks"), { recursive: true });
    writeFileSync(
      join(root, "stacks", "Pulumi.acme.yaml"),
      [
        "config:",
        "  aws:region: eu-west-1",
        "  runbooks:owner: ops",
        "  runbooks:features: { vercel: false, github: false, backupStorage: false }",
        "  runbooks:alerts:",
        "    healthCheck:",
        `      url: ${s.url}/api/health`,
        "      latencyBudgetMs: 20",
        "    routes: { P0: { emails: [oncall@acme.example] }, P1: {}, P2: {}, P3: {} }",
      ].join("\n"),
    );
    const result = await check(["--stack", "acme", "--json"], { root });
    expect(result.code).toBe(1);
    const envelope = JSON.parse(result.stdout) as Envelope;
    expect(envelope.report.thresholds).toMatchObject({
      samples: 5,
      latencyBudgetMs: 20,
      latencyBudgetSource: "alerts.healthCheck.latencyBudgetMs in stacks/Pulumi.acme.yaml",
    });
    expect(s.requests).toBe(5);
  });

  it("refuses a latency budget the config schema does not allow, naming the key", async () => {
    const root = join(scratch, "bad-budget");
    mkdirSync(join(root, "stacks"), { recursive: true });
    writeFileSync(
      join(root, "stacks", "Pulumi.acme.yaml"),
      [
        "config:",
        "  aws:region: eu-west-1",
        "  runbooks:owner: ops",
        "  runbooks:features: { vercel: false, github: false, backupStorage: false }",
        "  runbooks:alerts:",
        "    healthCheck: { url: https://app.example.com/h, latencyBudgetMs: fast }",
        "    routes: { P0: { emails: [oncall@acme.example] }, P1: {}, P2: {}, P3: {} }",
      ].join("\n"),
    );
    const result = await check(["--stack", "acme"], { root });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("runbooks:alerts.healthCheck.latencyBudgetMs");
  });
});

describe("the TLS certificate of an https endpoint", () => {
  const ok = (res: Parameters<typeof json>[0]) => json(res, 200, { status: "ok" });

  it("reports the days left of a certificate valid for 100 days (info, exit 0)", async () => {
    const cert = await makeCertificate(
      new Date(Date.now() - DAY),
      new Date(Date.now() + 100 * DAY + 3_600_000),
    );
    const s = await keep(startTlsServer(cert, (_req, res) => ok(res)));
    const deps = { fetch: fetchTrusting(cert.cert), tlsCa: cert.cert };
    const result = await check(["--url", `${s.url}/health`, "--json"], { deps });
    expect(result.code).toBe(0);
    const envelope = JSON.parse(result.stdout) as Envelope;
    expect(envelope.report.certificate).toMatchObject({ daysLeft: 100, trusted: true });
    const human = await check(["--url", `${s.url}/health`], { deps });
    expect(human.stdout).toContain("certificate localhost: 100 days left");
    expect(human.stdout).toContain("TLS certificate valid for 100 days");
  });

  it("fails (exit 1, high) for a certificate that expires in 3 days", async () => {
    const cert = await makeCertificate(
      new Date(Date.now() - DAY),
      new Date(Date.now() + 3 * DAY + 3_600_000),
    );
    const s = await keep(startTlsServer(cert, (_req, res) => ok(res)));
    const result = await check(["--url", `${s.url}/health`], {
      deps: { fetch: fetchTrusting(cert.cert), tlsCa: cert.cert },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/HIGH {6}TLS certificate expires in 3 days, on \d{4}-\d\d-\d\d/);
    expect(result.stdout).toContain("warning from 14 days");
    // The app itself is up: the certificate is the problem.
    expect(result.stdout).toMatch(/ok {8}UP — HTTP 200/);
  });

  it("takes the warning window from --cert-days", async () => {
    const cert = await makeCertificate(
      new Date(Date.now() - DAY),
      new Date(Date.now() + 3 * DAY + 3_600_000),
    );
    const s = await keep(startTlsServer(cert, (_req, res) => ok(res)));
    const result = await check(["--url", `${s.url}/health`, "--cert-days", "2"], {
      deps: { fetch: fetchTrusting(cert.cert), tlsCa: cert.cert },
    });
    expect(result.code).toBe(0);
  });

  it("is critical and down for an expired certificate: the request fails and the certificate is named", async () => {
    const cert = await makeCertificate(new Date(Date.now() - 10 * DAY), new Date(Date.now() - DAY));
    const s = await keep(startTlsServer(cert, (_req, res) => ok(res)));
    const result = await check(["--url", `${s.url}/health`, "--attempts", "1", "--json"], {
      deps: { fetch: fetchTrusting(cert.cert), tlsCa: cert.cert },
    });
    expect(result.code).toBe(1);
    const envelope = JSON.parse(result.stdout) as Envelope;
    expect(envelope.report.state).toBe("down");
    expect(envelope.findings).toContainEqual(
      expect.objectContaining({ id: "health-tls-certificate", severity: "critical" }),
    );
    expect(JSON.stringify(envelope.report.attempts)).toContain("TLS error (CERT_HAS_EXPIRED)");
  });

  it("says a certificate this machine does not trust is not trusted, with the reason", async () => {
    const cert = await makeCertificate(new Date(Date.now() - DAY), new Date(Date.now() + 60 * DAY));
    const s = await keep(startTlsServer(cert, (_req, res) => ok(res)));
    // No CA given: the system store does not know this self-signed certificate, nor does fetch.
    const result = await check(["--url", `${s.url}/health`, "--attempts", "1", "--json"]);
    expect(result.code).toBe(1);
    const envelope = JSON.parse(result.stdout) as Envelope;
    expect(envelope.report.certificate).toMatchObject({
      trusted: false,
      trustError: "DEPTH_ZERO_SELF_SIGNED_CERT",
    });
    expect(envelope.findings).toContainEqual(
      expect.objectContaining({ id: "health-tls-certificate", severity: "high" }),
    );
  });

  it("could not check the certificate when nothing listens, and never calls that healthy", async () => {
    const s = await keep(startServer((_req, res) => ok(res)));
    const port = new URL(s.url).port;
    await s.close();
    const result = await check([
      "--url",
      `https://127.0.0.1:${port}/h`,
      "--attempts",
      "1",
      "--json",
    ]);
    expect(result.code).toBe(1);
    const envelope = JSON.parse(result.stdout) as Envelope;
    expect(envelope.findings).toContainEqual(
      expect.objectContaining({ id: "health-tls-certificate", couldNotCheck: true }),
    );
  });
});
