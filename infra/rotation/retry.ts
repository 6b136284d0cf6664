/**
 * Bounded retries for vendor calls that have no retry of their own
 * (supabase-management-js, the health gate): 429 and 5xx and network errors
 * are retried with backoff, honouring the server's wait when it names one, up
 * to a cap. Anything else fails at once. Kept here until the shared
 * infra/lib/retry lands; then this file becomes an import of it.
 */
export interface RetryOptions {
  attempts: number;
  /** First backoff, doubled per attempt. */
  baseMs: number;
  /** No single wait is longer, whatever the server asks. */
  maxWaitMs: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RetryDecision {
  retry: boolean;
  /** The wait the server asked for, if any. */
  afterMs?: number;
}

export async function withRetry<T>(
  what: string,
  call: () => Promise<T>,
  classify: (error: unknown) => RetryDecision,
  options: RetryOptions,
): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let lastError: unknown;
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    try {
      return await call();
    } catch (error) {
      lastError = error;
      const decision = classify(error);
      if (!decision.retry || attempt === options.attempts) break;
      const backoff = options.baseMs * 2 ** (attempt - 1);
      await sleep(Math.min(options.maxWaitMs, Math.max(backoff, decision.afterMs ?? 0)));
    }
  }
  const message = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`${what} failed: ${message}`, { cause: lastError });
}

/** 429, 5xx and transport failures are worth another try. */
export function httpRetryable(status: number | undefined): boolean {
  return status === undefined || status === 429 || status >= 500;
}
