/**
 * What the unit tests of classifyAttempt left loose: the 2xx boundaries (a
 * 500 once passed as up with every test green), redaction of a failed
 * request's error in the core itself (not only in the CLI's output), and
 * sampling past the first healthy answer for latency statistics.
 */
import { describe, expect, it } from "vitest";
import {
  checkHealth,
  classifyAttempt,
  healthTarget,
  isSuccessStatus,
  probeOnce,
  type FetchLike,
} from "../../../infra/checks/health";

const thresholds = { slowMs: 2000 };

describe("HTTP status boundaries", () => {
  it.each([100, 199, 300, 301, 399, 400, 500, 503, 599])("%i is down", (status) => {
    expect(isSuccessStatus(status)).toBe(false);
    expect(classifyAttempt({ statusCode: status, latencyMs: 5 }, thresholds).state).toBe("down");
  });

  it.each([200, 201, 204, 299])("%i is up", (status) => {
    expect(isSuccessStatus(status)).toBe(true);
    expect(classifyAttempt({ statusCode: status, latencyMs: 5 }, thresholds).state).toBe("up");
  });

  it("no status at all is not a success", () => {
    expect(isSuccessStatus(undefined)).toBe(false);
  });
});

describe("a rejected request never carries the URL's password into the result", () => {
  const PASSWORD = "pw-in-the-url-5c81";
  const target = healthTarget(`https://ops:${PASSWORD}@app.example.test/api/health`);

  const rejecting =
    (message: string): FetchLike =>
    () =>
      Promise.reject(Object.assign(new TypeError("fetch failed"), { cause: { message } }));

  it.each([
    ["the URL with its credentials", `connect failed for https://ops:${PASSWORD}@app.example.test`],
    ["the bare password", `proxy said: bad credentials ${PASSWORD}`],
    ["the percent-encoded password", `upstream ${encodeURIComponent(PASSWORD)} refused`],
    [
      "the basic-auth header value",
      `header Authorization: Basic ${Buffer.from(`ops:${PASSWORD}`).toString("base64")}`,
    ],
  ])("when the error message carries %s", async (_what, message) => {
    const probe = await probeOnce(target, 1000, rejecting(message));
    expect(probe.statusCode).toBeUndefined();
    expect(probe.error).toContain("***");
    const result = await checkHealth(target, {
      attempts: 2,
      timeoutMs: 1000,
      slowMs: 2000,
      fetch: rejecting(message),
      sleep: async () => undefined,
    });
    const text = JSON.stringify(result);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(Buffer.from(`ops:${PASSWORD}`).toString("base64"));
    expect(result.state).toBe("down");
  });

  it("sends the credentials as a header, never in the URL fetched", async () => {
    const seen: { url: string; headers: Record<string, string> }[] = [];
    const recording: FetchLike = async (url, init) => {
      seen.push({ url, headers: init.headers as Record<string, string> });
      return new Response('{"status":"ok"}', { status: 200 });
    };
    await checkHealth(target, { attempts: 1, timeoutMs: 1000, slowMs: 2000, fetch: recording });
    expect(seen[0]!.url).toBe("https://app.example.test/api/health");
    expect(seen[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from(`ops:${PASSWORD}`).toString("base64")}`,
    );
  });
});

describe("sampling for latency", () => {
  const target = healthTarget("http://app.example.test/api/health");

  function countingFetch(statuses: number[]): { fetch: FetchLike; calls: () => number } {
    let n = 0;
    return {
      fetch: async () =>
        new Response("{}", { status: statuses[Math.min(n++, statuses.length - 1)] }),
      calls: () => n,
    };
  }

  it("stops at the first healthy answer with one sample", async () => {
    const f = countingFetch([200]);
    const result = await checkHealth(target, {
      attempts: 3,
      timeoutMs: 1000,
      slowMs: 2000,
      fetch: f.fetch,
    });
    expect(f.calls()).toBe(1);
    expect(result.latency?.samples).toBe(1);
  });

  it("goes on past healthy answers until --samples, without waiting between them", async () => {
    const f = countingFetch([200]);
    const waits: number[] = [];
    const result = await checkHealth(target, {
      attempts: 3,
      samples: 7,
      timeoutMs: 1000,
      slowMs: 2000,
      fetch: f.fetch,
      sleep: async (ms) => void waits.push(ms),
    });
    expect(f.calls()).toBe(7);
    expect(waits).toEqual([]);
    expect(result.state).toBe("up");
    expect(result.latency?.samples).toBe(7);
  });

  it("backs off only after a failure, and counts a failure among the samples as degraded", async () => {
    const f = countingFetch([200, 503, 200, 200]);
    const waits: number[] = [];
    const result = await checkHealth(target, {
      attempts: 1,
      samples: 4,
      timeoutMs: 1000,
      slowMs: 2000,
      fetch: f.fetch,
      sleep: async (ms) => void waits.push(ms),
    });
    expect(f.calls()).toBe(4);
    expect(waits).toEqual([250]);
    expect(result.state).toBe("degraded");
    expect(result.reason).toBe("1 of 4 attempts failed");
    // The 503 answered too: its latency counts.
    expect(result.latency?.samples).toBe(4);
  });

  it("has no latency when nothing answered", async () => {
    const result = await checkHealth(target, {
      attempts: 2,
      timeoutMs: 1000,
      slowMs: 2000,
      fetch: () => Promise.reject(new TypeError("fetch failed")),
      sleep: async () => undefined,
    });
    expect(result.latency).toBeUndefined();
  });
});
