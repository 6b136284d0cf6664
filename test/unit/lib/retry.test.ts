import { describe, expect, it } from "vitest";
import { backoffMs, retry } from "../../../infra/lib/retry";

describe("backoffMs", () => {
  it("doubles from the base and stops at the maximum", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, { baseMs: 250, maxMs: 5_000 }))).toEqual([
      250, 500, 1000, 2000, 4000, 5000,
    ]);
  });

  it("adds at most jitterMs of jitter", () => {
    expect(backoffMs(1, { baseMs: 100, jitterMs: 50, random: () => 0 })).toBe(100);
    expect(backoffMs(1, { baseMs: 100, jitterMs: 50, random: () => 0.999 })).toBe(149);
  });
});

describe("retry", () => {
  const retryable = (e: unknown) => (e as Error).message === "busy";

  it("retries what is retryable, waiting the backoff between tries, and returns the first success", async () => {
    const waits: number[] = [];
    const seen: number[] = [];
    const result = await retry(
      async (attempt) => {
        if (attempt < 3) throw new Error("busy");
        return `ok after ${attempt}`;
      },
      {
        attempts: 5,
        isRetryable: retryable,
        baseMs: 10,
        sleep: async (ms) => void waits.push(ms),
        onRetry: ({ attempt }) => void seen.push(attempt),
      },
    );
    expect(result).toBe("ok after 3");
    expect(waits).toEqual([10, 20]);
    expect(seen).toEqual([1, 2]);
  });

  it("throws at once what is not retryable, and the last error when the attempts run out", async () => {
    let calls = 0;
    const sleep = async () => undefined;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error("syntax");
        },
        { attempts: 5, isRetryable: retryable, sleep },
      ),
    ).rejects.toThrow("syntax");
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error("busy");
        },
        { attempts: 3, isRetryable: retryable, sleep },
      ),
    ).rejects.toThrow("busy");
    expect(calls).toBe(3);
  });
});
