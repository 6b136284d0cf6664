/**
 * Bounded retries with exponential backoff, for anything that may succeed a
 * moment later: a lock held by a backup, a health endpoint that dropped one
 * request. Callers decide what is worth retrying; the waiting lives here.
 */

export interface BackoffOptions {
  /** Wait before the first retry (ms). */
  baseMs?: number;
  /** Longest wait (ms). */
  maxMs?: number;
  /** Random extra wait, up to this many ms, so parallel retries do not move in lockstep. */
  jitterMs?: number;
  /** Source of randomness in [0, 1); tests pin it. */
  random?: () => number;
}

/** The wait before retry number `retry` (1-based): base, 2×base, 4×base… capped at max, plus jitter. */
export function backoffMs(retry: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 250;
  const max = options.maxMs ?? 2_000;
  const jitter = options.jitterMs
    ? Math.floor((options.random ?? Math.random)() * options.jitterMs)
    : 0;
  return Math.min(max, base * 2 ** (Math.max(1, retry) - 1)) + jitter;
}

export interface RetryOptions extends BackoffOptions {
  /** Tries in all, the first included (at least 1). */
  attempts: number;
  /** Whether an error is worth another try; anything else is thrown at once. */
  isRetryable: (error: unknown) => boolean;
  /** Told before each wait: which try failed, with what, and how long until the next. */
  onRetry?: (info: { attempt: number; error: unknown; waitMs: number }) => void;
  sleep?: (ms: number) => Promise<void>;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Run `fn` until it succeeds, throws something not retryable, or the
 * attempts run out (then the last error is thrown). `fn` gets the 1-based
 * attempt number.
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const attempts = Math.max(1, Math.floor(options.attempts));
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || !options.isRetryable(error)) throw error;
      const waitMs = backoffMs(attempt, options);
      options.onRetry?.({ attempt, error, waitMs });
      await wait(waitMs);
    }
  }
}
