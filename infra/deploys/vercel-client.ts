/**
 * The official Vercel SDK, configured from a `VercelAccess`, and its errors
 * in one line. The SDK validates every response body, so a stand-in (or an
 * API change) with the wrong shape fails here loudly instead of being read
 * as "no deployments".
 */
import { Vercel } from "@vercel/sdk";
import { describeVercelError, type VercelAccess } from "../vercel/api-access";

export interface VercelClientOptions {
  /** Per request. */
  timeoutMs?: number;
  /** How long retries of one call may take in all. */
  retryForMs?: number;
}

export function vercelClient(access: VercelAccess, options: VercelClientOptions = {}): Vercel {
  return new Vercel({
    bearerToken: access.token,
    serverURL: access.serverURL,
    timeoutMs: options.timeoutMs ?? 15_000,
    // 429 and 5xx are retried with the server's retry-after; a command at 3 a.m. should not
    // fail on one throttled call, nor wait forever on many.
    retryConfig: {
      strategy: "backoff",
      backoff: {
        initialInterval: 500,
        maxInterval: 5_000,
        exponent: 2,
        maxElapsedTime: options.retryForMs ?? 20_000,
      },
      retryConnectionErrors: true,
    },
  });
}

/** What went wrong with a Vercel call, without the request (which carries the token). */
export function describeSdkError(error: unknown, what: string): string {
  const e = error as { name?: string; statusCode?: number; body?: string; message?: string };
  if (typeof e?.statusCode === "number" && typeof e.body === "string")
    return `${what}: ${describeVercelError(e.statusCode, e.body)}`;
  if (e?.name === "ResponseValidationError")
    return `${what}: the Vercel API answered in a shape the SDK does not accept (${e.message?.split("\n")[0]})`;
  if (e?.name === "ConnectionError" || e?.name === "RequestTimeoutError")
    return `${what}: could not reach the Vercel API (${e.message})`;
  return `${what}: ${e?.message ?? String(error)}`;
}
