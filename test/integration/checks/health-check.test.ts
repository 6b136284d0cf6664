/**
 * `npm run health:check` end to end: the real stand-in app over a real
 * database, plus small real HTTP servers for slow, flaky, hanging and
 * password-protected endpoints.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { healthCheck, type HealthCheckDeps } from "../../../scripts/health-check";
import { startApp, type RunningApp } from "../../../infra/local/example-app/server";
import { freePort } from "../../../infra/local/ports";
import { createTestDatabase } from "../../../infra/local/postgres";
import { services } from "../../support/services";
import { json, runScript, sleep, startServer, type TestServer } from "./helpers";

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let app: RunningApp;
const scratch = mkdtempSync(join(tmpdir(), "runbooks-health-"));
const envFile = join(scratch, "app.env");
const emptyRoot = join(scratch, "empty-root");
mkdirSync(emptyRoot);
const servers: TestServer[] = [];

function check(argv: string[], io: { root?: string; deps?: Partial<HealthCheckDeps> } = {}) {
  return runScript(healthCheck, argv, { root: emptyRoot, ...io });
}

async function server(handler: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}

beforeAll(async () => {
  db = await createTestDatabase(services().postgres.adminUrl, "health");
  writeFileSync(envFile, `DATABASE_URL=${db.url}\n`);
  app = await startApp({ envFile, timeoutMs: 2000 });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await app?.close();
  await db?.drop();
});

describe("health:check against the stand-in app", () => {
  it("is up (exit 0) when the app and its database answer", async () => {
    const result = await check(["--url", `${app.url}/api/health`]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Health check: ${app.url}/api/health  (--url)`);
    expect(result.stdout).toMatch(/attempt 1 {2}UP {8}HTTP 200 in \d+ ms, body status "ok"/);
    expect(result.stdout).toMatch(/ok {8}UP — HTTP 200 in \d+ ms, body status "ok"/);
    expect(result.stdout).toContain("Result: ALL GOOD (exit 0)");
    expect(result.stdout).not.toContain("attempt 2");
  });

  it("is down (exit 1) with a wrong database password: 503, the body's status, and who is paged", async () => {
    const wrong = new URL(db.url);
    wrong.password = "wrong-password-hc77";
    writeFileSync(envFile, `DATABASE_URL=${wrong.toString()}\n`);
    try {
      const result = await check(["--url", `${app.url}/api/health`, "--attempts", "2"]);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/attempt 1 {2}DOWN {6}HTTP 503 in \d+ ms, body status "down"/);
      expect(result.stdout).toMatch(/attempt 2 {2}DOWN/);
      expect(result.stdout).toContain("CRITICAL  DOWN — no 2xx in 2 attempts");
      expect(result.stdout).toContain("Result: PROBLEMS FOUND (exit 1)");
      expect(result.stdout).toContain("Severity P0 (default for the health alert");
      expect(result.stdout).toContain("respond immediately. Site down or data at risk");
      expect(result.stdout + result.stderr).not.toContain("wrong-password-hc77");
    } finally {
      writeFileSync(envFile, `DATABASE_URL=${db.url}\n`);
    }
  });

  it("finds the local stand-in app from .local/services.json when no URL is given", async () => {
    const root = join(scratch, "local-root");
    mkdirSync(join(root, ".local"), { recursive: true });
    writeFileSync(join(root, ".local", "services.json"), JSON.stringify({ app: { url: app.url } }));
    const result = await check([], { root });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `Health check: ${app.url}/api/health  (the local stand-in app, from .local/services.json)`,
    );
  });

  it("prints JSON with every attempt when asked", async () => {
    const result = await check(["--url", `${app.url}/api/health`, "--json"]);
    expect(result.code).toBe(0);
    const envelope = JSON.parse(result.stdout) as {
      command: string;
      ok: boolean;
      exitCode: number;
      findings: { id: string; severity: string }[];
      report: {
        state: string;
        attempts: { attempt: number; statusCode: number; bodyStatus: string; latencyMs: number }[];
        paging: { severity: string };
      };
    };
    expect(envelope).toMatchObject({
      command: "health:check",
      ok: true,
      exitCode: 0,
      findings: [{ id: "health", severity: "info" }],
      report: { state: "up", paging: { severity: "P0" } },
    });
    const report = envelope.report;
    expect(report.attempts).toHaveLength(1);
    expect(report.attempts[0]).toMatchObject({ attempt: 1, statusCode: 200, bodyStatus: "ok" });
    expect(report.attempts[0]!.latencyMs).toBeGreaterThanOrEqual(0);
  });
});

describe("health:check against endpoints that misbehave", () => {
  it("is down when nothing listens on the port, after every attempt", async () => {
    const port = await freePort();
    const result = await check(["--url", `http://127.0.0.1:${port}/api/health`]);
    expect(result.code).toBe(1);
    expect(result.stdout.match(/connection refused \(nothing listening\)/g)).toHaveLength(4);
    expect(result.stdout).toContain("attempt 3  DOWN");
    expect(result.stdout).toContain("CRITICAL  DOWN — no 2xx in 3 attempts");
  });

  it("is degraded when every 2xx is slower than --slow", async () => {
    const slow = await server(async (_req, res) => {
      await sleep(250);
      json(res, 200, { status: "ok" });
    });
    const result = await check(["--url", `${slow.url}/health`, "--slow", "100", "--attempts", "2"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /attempt 1 {2}DEGRADED {2}HTTP 200 in \d+ ms, slower than 100 ms/,
    );
    expect(result.stdout).toMatch(/attempt 2 {2}DEGRADED/);
    expect(result.stdout).toContain("MEDIUM    DEGRADED — ");
    expect(result.stdout).toContain("not the site-down alert");
    expect(slow.requests).toBe(2);
  });

  it("is degraded when a success comes only after a failure, and stops retrying at the success", async () => {
    const flaky = await server((_req, res, n) =>
      n === 1 ? json(res, 502, { status: "down" }) : json(res, 200, { status: "ok" }),
    );
    const result = await check(["--url", `${flaky.url}/health`, "--attempts", "3", "--json"]);
    expect(result.code).toBe(1);
    const { report } = JSON.parse(result.stdout) as {
      report: { state: string; reason: string; attempts: unknown[] };
    };
    expect(report.state).toBe("degraded");
    expect(report.reason).toBe("1 of 2 attempts failed");
    expect(report.attempts).toHaveLength(2);
    expect(flaky.requests).toBe(2);
  });

  it("is degraded when the app answers 200 but its body says it is degraded", async () => {
    const unwell = await server((_req, res) => json(res, 200, { status: "degraded" }));
    const result = await check(["--url", `${unwell.url}/health`, "--attempts", "1"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('but the app reports "degraded"');
  });

  it("gives up on a request after --timeout", async () => {
    const hanging = await server(() => undefined);
    const started = Date.now();
    const result = await check([
      "--url",
      `${hanging.url}/health`,
      "--timeout",
      "300",
      "--attempts",
      "1",
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/attempt 1 {2}DOWN {6}timed out \(limit 300 ms\) after \d+ ms/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("sends basic-auth credentials from the URL as a header and never prints them", async () => {
    const expected = `Basic ${Buffer.from("ops:s3cret-pw-91").toString("base64")}`;
    const guarded = await server((req, res) =>
      req.headers.authorization === expected
        ? json(res, 200, { status: "ok" })
        : json(res, 401, { status: "unauthorized" }),
    );
    const withCredentials = guarded.url.replace("http://", "http://ops:s3cret-pw-91@");
    const ok = await check(["--url", `${withCredentials}/health`]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(
      `Health check: ${guarded.url.replace("http://", "http://***:***@")}/health`,
    );
    const wrong = await check([
      "--url",
      `${guarded.url.replace("http://", "http://ops:nope-nope@")}/health`,
      "--attempts",
      "1",
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain("HTTP 401");
    for (const output of [ok.stdout, ok.stderr, wrong.stdout, wrong.stderr]) {
      expect(output).not.toContain("s3cret-pw-91");
      expect(output).not.toContain("nope-nope");
      expect(output).not.toContain(Buffer.from("ops:s3cret-pw-91").toString("base64"));
    }
  });
});

describe("health:check settings from a stack file", () => {
  const root = join(scratch, "stack-root");
  mkdirSync(join(root, "stacks"), { recursive: true });

  it("takes the URL and the alert's severity from the stack, and prints the escalation time", async () => {
    const port = await freePort();
    writeFileSync(
      join(root, "stacks", "Pulumi.acme.yaml"),
      [
        "config:",
        "  aws:region: eu-west-1",
        "  runbooks:owner: ops",
        "  runbooks:features: { vercel: false, github: false, backupStorage: false }",
        "  runbooks:alerts:",
        "    healthCheck:",
        `      url: http://127.0.0.1:${port}/api/health`,
        "      severity: P2",
        "    routes:",
        "      P0: { emails: [oncall@acme.example] }",
        "      P1: {}",
        "      P2: {}",
        "      P3: {}",
      ].join("\n"),
    );
    const result = await check(["--stack", "acme", "--attempts", "1"], { root });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `Health check: http://127.0.0.1:${port}/api/health  (alerts.healthCheck.url in stacks/Pulumi.acme.yaml)`,
    );
    expect(result.stdout).toContain(
      "Severity P2 (alerts.healthCheck.severity in stacks/Pulumi.acme.yaml): respond within 4 h. Degraded or partial outage",
    );
  });

  it("could not check (exit 2) when the stack sets no health URL", async () => {
    writeFileSync(
      join(root, "stacks", "Pulumi.bare.yaml"),
      "config:\n  runbooks:owner: ops\n  runbooks:features: { vercel: false, github: false, backupStorage: false, alerts: false }\n",
    );
    const result = await check(["--stack", "bare"], { root });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "stacks/Pulumi.bare.yaml sets no runbooks:alerts.healthCheck.url; add it there, or pass --url <url>",
    );
  });

  it("could not check (exit 2) when the stack's alerts settings are invalid, naming the key and the stack file", async () => {
    writeFileSync(
      join(root, "stacks", "Pulumi.broken.yaml"),
      [
        "config:",
        "  aws:region: eu-west-1",
        "  runbooks:owner: ops",
        "  runbooks:features: { vercel: false, github: false, backupStorage: false }",
        "  runbooks:alerts:",
        "    healthCheck: { url: http://app.example.com/health }",
        "    routes: { P0: { emails: [oncall@acme.example] }, P1: {}, P2: {}, P3: {} }",
      ].join("\n"),
    );
    const result = await check(["--stack", "broken"], { root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /runbooks:alerts\.healthCheck\.url: must use https:\/\/[\s\S]*stacks\/Pulumi\.broken\.yaml/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("refuses a stack that does not exist, and a flag it does not take", async () => {
    const nosuch = await check(["--stack", "nosuch", "--url", `${app.url}/api/health`], { root });
    expect(nosuch.code).toBe(2);
    expect(nosuch.stderr).toContain("no stack 'nosuch'");
    const dbFlag = await check(["--url", `${app.url}/api/health`, "--database-url", "x"]);
    expect(dbFlag.code).toBe(2);
    expect(dbFlag.stderr).toContain("health:check does not take --database-url");
  });
});

describe("health:check could not check (exit 2)", () => {
  it("when there is no URL to check", async () => {
    const result = await check([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no URL to check: pass --url <url>");
    expect(result.stderr).toContain("USAGE runbooks health:check [OPTIONS]");
  });

  it("when the URL is malformed, without echoing it", async () => {
    const result = await check(["--url", "app.example.com/health?token=zz-secret-zz"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("not an absolute URL");
    expect(result.stderr).not.toContain("zz-secret-zz");
  });

  it("when a number flag is out of range, naming it", async () => {
    const result = await check(["--url", `${app.url}/api/health`, "--attempts", "0", "--json"]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      command: "health:check",
      ok: false,
      exitCode: 2,
      summary: { critical: 0, high: 0, medium: 0, low: 0, info: 0, couldNotCheck: 0 },
      findings: [],
      error: "--attempts must be from 1 to 10, got 0",
    });
  });
});
