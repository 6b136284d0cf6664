import { describe, expect, it } from "vitest";
import {
  bodyStatusOf,
  classifyAttempt,
  classifyOverall,
  HEALTH_BACKOFF,
  defaultPaging,
  describeFetchError,
  healthTarget,
  healthFindings,
  renderHealthHeader,
  stackHealthSettings,
  type AttemptReport,
  type HealthReport,
  type ProbeResult,
} from "../../../infra/checks/health";
import { alertsSchema } from "../../../infra/config/index";
import { backoffMs } from "../../../infra/lib/retry";
import { renderHuman } from "../../../scripts/lib/runner";

const thresholds = { slowMs: 2000 };

function attempt(n: number, probe: ProbeResult): AttemptReport {
  return { attempt: n, ...probe, ...classifyAttempt(probe, thresholds) };
}

describe("classifyAttempt", () => {
  it("is up for a fast 2xx and keeps the body's status in the reason", () => {
    const result = classifyAttempt(
      { statusCode: 200, latencyMs: 40, bodyStatus: "ok" },
      thresholds,
    );
    expect(result).toEqual({ state: "up", reason: 'HTTP 200 in 40 ms, body status "ok"' });
  });

  it("is degraded for a 2xx slower than the threshold", () => {
    const result = classifyAttempt({ statusCode: 204, latencyMs: 2001 }, thresholds);
    expect(result.state).toBe("degraded");
    expect(result.reason).toContain("slower than 2000 ms");
  });

  it("counts exactly the threshold as not slow", () => {
    expect(classifyAttempt({ statusCode: 200, latencyMs: 2000 }, thresholds).state).toBe("up");
  });

  it("is degraded for a 2xx whose body reports a problem", () => {
    const result = classifyAttempt(
      { statusCode: 200, latencyMs: 10, bodyStatus: "Degraded" },
      thresholds,
    );
    expect(result.state).toBe("degraded");
    expect(result.reason).toContain('the app reports "Degraded"');
  });

  it("is down for a non-2xx, whatever the latency", () => {
    expect(
      classifyAttempt({ statusCode: 503, latencyMs: 5, bodyStatus: "down" }, thresholds),
    ).toEqual({
      state: "down",
      reason: 'HTTP 503 in 5 ms, body status "down"',
    });
    expect(classifyAttempt({ statusCode: 301, latencyMs: 5 }, thresholds).state).toBe("down");
  });

  it("is down when no response arrived, with the error", () => {
    expect(
      classifyAttempt({ latencyMs: 5000, error: "timed out (limit 5000 ms)" }, thresholds),
    ).toEqual({
      state: "down",
      reason: "timed out (limit 5000 ms) after 5000 ms",
    });
  });
});

describe("classifyOverall", () => {
  it("is up when the only attempt was up", () => {
    const result = classifyOverall([attempt(1, { statusCode: 200, latencyMs: 10 })]);
    expect(result.state).toBe("up");
  });

  it("is down when no attempt answered 2xx, naming the last failure", () => {
    const result = classifyOverall([
      attempt(1, { statusCode: 503, latencyMs: 10 }),
      attempt(2, { latencyMs: 3, error: "connection refused (nothing listening)" }),
    ]);
    expect(result.state).toBe("down");
    expect(result.reason).toBe(
      "no 2xx in 2 attempts (last: connection refused (nothing listening) after 3 ms)",
    );
  });

  it("is degraded when a success came only after failures", () => {
    const result = classifyOverall([
      attempt(1, { statusCode: 502, latencyMs: 10 }),
      attempt(2, { statusCode: 200, latencyMs: 10 }),
    ]);
    expect(result).toEqual({ state: "degraded", reason: "1 of 2 attempts failed" });
  });

  it("is degraded when every 2xx was slow", () => {
    const result = classifyOverall([
      attempt(1, { statusCode: 200, latencyMs: 2500 }),
      attempt(2, { statusCode: 200, latencyMs: 2600 }),
    ]);
    expect(result.state).toBe("degraded");
    expect(result.reason).toBe("HTTP 200 in 2600 ms, slower than 2000 ms");
  });

  it("is down with no attempts at all", () => {
    expect(classifyOverall([]).state).toBe("down");
  });
});

describe("healthTarget", () => {
  it("moves basic-auth credentials into a header and redacts them from the printed URL", () => {
    const target = healthTarget("https://ops:p%40ss-w0rd@app.example.com/api/health");
    expect(target.url).toBe("https://app.example.com/api/health");
    expect(target.headers.authorization).toBe(
      `Basic ${Buffer.from("ops:p@ss-w0rd").toString("base64")}`,
    );
    expect(target.display).toBe("https://***:***@app.example.com/api/health");
    expect(target.display).not.toContain("ops");
    expect(target.secrets).toContain("p@ss-w0rd");
  });

  it("redacts token-like query parameters but keeps others", () => {
    const target = healthTarget("https://app.example.com/api/health?token=abc123xyz&verbose=1");
    expect(target.url).toContain("token=abc123xyz");
    expect(target.display).toBe("https://app.example.com/api/health?token=***&verbose=1");
    expect(target.secrets).toContain("abc123xyz");
  });

  it("prints a plain URL as it is, with no headers", () => {
    const target = healthTarget("http://127.0.0.1:3000/api/health");
    expect(target).toMatchObject({ display: "http://127.0.0.1:3000/api/health", headers: {} });
  });

  it("rejects a malformed URL without echoing it", () => {
    expect(() => healthTarget("app.example.com/secret-ish")).toThrow(/not an absolute URL/);
    try {
      healthTarget("app.example.com/secret-ish");
    } catch (error) {
      expect((error as Error).message).not.toContain("secret-ish");
    }
  });

  it("rejects protocols other than http and https", () => {
    expect(() => healthTarget("ftp://app.example.com/")).toThrow("not ftp://");
  });
});

describe("bodyStatusOf", () => {
  it("reads a string status from a JSON object", () => {
    expect(bodyStatusOf('{"status":"ok","database":{"ok":true}}')).toBe("ok");
  });

  it("ignores non-JSON, non-objects and non-string statuses", () => {
    expect(bodyStatusOf("<html>ok</html>")).toBeUndefined();
    expect(bodyStatusOf('["ok"]')).toBeUndefined();
    expect(bodyStatusOf('{"status":200}')).toBeUndefined();
    expect(bodyStatusOf('{"status":')).toBeUndefined();
  });
});

describe("describeFetchError", () => {
  const fetchError = (code: string) =>
    Object.assign(new TypeError("fetch failed"), { cause: { code, message: `x ${code}` } });

  it("names timeouts, refused connections, DNS and TLS failures in words", () => {
    expect(describeFetchError(new Error("aborted"), 1500, true)).toBe("timed out (limit 1500 ms)");
    expect(describeFetchError(fetchError("ECONNREFUSED"), 1, false)).toBe(
      "connection refused (nothing listening)",
    );
    expect(describeFetchError(fetchError("ENOTFOUND"), 1, false)).toBe("host not found (DNS)");
    expect(describeFetchError(fetchError("CERT_HAS_EXPIRED"), 1, false)).toBe(
      "TLS error (CERT_HAS_EXPIRED)",
    );
    expect(describeFetchError(fetchError("EWHATEVER"), 1, false)).toBe("x EWHATEVER");
  });
});

describe("health backoff", () => {
  it("doubles from 250 ms and stops at 2 s", () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, HEALTH_BACKOFF))).toEqual([
      250, 500, 1000, 2000, 2000,
    ]);
  });
});

describe("stackHealthSettings", () => {
  const raw = {
    healthCheck: { url: "https://app.example.com/api/health", severity: "P1" },
    routes: { P0: { emails: ["oncall@example.com"] }, P1: {}, P2: {}, P3: {} },
  };
  const alerts = alertsSchema.parse(raw);

  it("takes the URL and severity from the stack, with the escalation time of that severity", () => {
    const settings = stackHealthSettings(alerts, "stacks/Pulumi.staging.yaml");
    expect(settings.url).toBe("https://app.example.com/api/health");
    expect(settings.paging).toEqual({
      severity: "P1",
      respondWithinMinutes: 60,
      meaning: "Major feature broken: respond within 1 hour.",
      source: "alerts.healthCheck.severity in stacks/Pulumi.staging.yaml",
    });
  });

  it("uses the stack's own escalation table when it has one", () => {
    const escalation = {
      P0: { respondWithinMinutes: 5, meaning: "now" },
      P1: { respondWithinMinutes: 30, meaning: "soon" },
      P2: { respondWithinMinutes: 60, meaning: "later" },
      P3: { respondWithinMinutes: 600, meaning: "eventually" },
    };
    const settings = stackHealthSettings(
      alertsSchema.parse({ ...raw, escalation }),
      "stacks/Pulumi.x.yaml",
    );
    expect(settings.paging).toMatchObject({
      severity: "P1",
      respondWithinMinutes: 30,
      meaning: "soon",
    });
  });

  it("defaults to P0, respond immediately, when no stack is given", () => {
    const settings = stackHealthSettings(undefined, undefined);
    expect(settings.url).toBeUndefined();
    expect(settings.paging).toEqual(defaultPaging());
    expect(settings.paging).toMatchObject({ severity: "P0", respondWithinMinutes: 0 });
  });
});

describe("health:check human output", () => {
  const renderHealth = (report: HealthReport) =>
    renderHuman({ findings: healthFindings(report), text: renderHealthHeader(report) });

  const base: HealthReport = {
    url: "https://***:***@app.example.com/api/health",
    urlSource: "--url",
    state: "down",
    reason: "no 2xx in 1 attempt (last: HTTP 503 in 12 ms)",
    attempts: [attempt(1, { statusCode: 503, latencyMs: 12 })],
    thresholds: { slowMs: 2000, timeoutMs: 5000, attempts: 1 },
    paging: {
      ...defaultPaging(),
      source: "alerts.healthCheck.severity in stacks/Pulumi.production.yaml",
    },
  };

  it("prints the severity and how soon to respond when down", () => {
    const text = renderHealth(base);
    expect(text).toContain("attempt 1  DOWN      HTTP 503 in 12 ms");
    expect(text).toContain("CRITICAL  DOWN — no 2xx in 1 attempt");
    expect(text).toContain(
      "Severity P0 (alerts.healthCheck.severity in stacks/Pulumi.production.yaml): respond immediately.",
    );
    expect(text).toContain(
      "Next: the app answers HTTP 503 — check its logs and its database (npm run db:status).",
    );
  });

  it("points at the hosting when nothing answered", () => {
    const text = renderHealth({
      ...base,
      attempts: [attempt(1, { latencyMs: 3, error: "connection refused (nothing listening)" })],
    });
    expect(text).toContain("Next: nothing answered — check the hosting");
  });

  it("does not page when up", () => {
    const up = { ...base, state: "up" as const, reason: "HTTP 200 in 5 ms" };
    const text = renderHealth(up);
    expect(text).toContain("ok        UP — HTTP 200 in 5 ms");
    expect(text).toContain("Result: ALL GOOD (exit 0)");
    expect(text).not.toContain("Severity");
  });

  it("says degraded is not the site-down alert", () => {
    const text = renderHealth({ ...base, state: "degraded", reason: "1 of 2 attempts failed" });
    expect(text).toContain("MEDIUM    DEGRADED — 1 of 2 attempts failed");
    expect(text).toContain("not the site-down alert");
    expect(text).not.toContain("Severity P0");
  });
});
