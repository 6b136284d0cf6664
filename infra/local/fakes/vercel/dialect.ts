/**
 * How the Vercel fake speaks at the edges of every route: who the bearer
 * token acts for, and the bodies of auth failures, rate limits and server
 * errors. `FakeServer` (../http) runs these before and around the handlers.
 */
import { bearerToken, type Dialect, type FakeRequest } from "../http";
import { vercelError } from "./errors";

export interface Ctx {
  /** The account the request acts for (team or the personal account). */
  accountId: string;
}

// Auth failures answer 403 `forbidden` in the `{error: {code, message}}`
// shape: a real 403 body seen through @vercel/sdk is quoted in dyad-sh/dyad
// issue #4175. The `invalidToken` flag for an unusable token is how the API
// is commonly reported to answer; no vendor page confirms it. The SDK treats
// 401 and 403 alike, so clients must not depend on which one they get.
export const dialect = (token: string, resolveAccount: (req: FakeRequest) => string | undefined) =>
  ({
    authenticate(req) {
      const given = bearerToken(req);
      if (!given || given !== token)
        return {
          response: vercelError(403, "forbidden", "Not authorized", { invalidToken: true }),
        };
      const accountId = resolveAccount(req);
      if (!accountId)
        return {
          response: vercelError(403, "forbidden", "You don't have permission to access this team."),
        };
      return { ctx: { accountId } };
    },
    rateLimitKey: (req) => req.route,
    // Body shape per the REST reference's rate-limit error; the X-RateLimit-*
    // headers are what Vercel's API is widely reported to send, but no vendor
    // page confirms them, so clients must rely on the body and retry-after.
    rateLimited: (state, retryAfter) => ({
      status: 429,
      headers: { "retry-after": String(retryAfter) },
      body: {
        error: {
          code: "rate_limited",
          message: `Rate limit exceeded. Try again in ${retryAfter} seconds.`,
          limit: {
            remaining: Math.max(0, state.remaining),
            reset: Math.ceil(state.resetAtMs / 1000),
            resetMs: state.resetAtMs,
            total: state.limit,
          },
        },
      },
    }),
    rateLimitHeaders: (state) => ({
      "x-ratelimit-limit": String(state.limit),
      "x-ratelimit-remaining": String(Math.max(0, state.remaining)),
      "x-ratelimit-reset": String(Math.ceil(state.resetAtMs / 1000)),
    }),
    serverError: (status) =>
      vercelError(status, "internal_server_error", "An unexpected internal error occurred."),
    routeNotFound: () => vercelError(404, "not_found", "The requested API endpoint was not found."),
    badJson: () => vercelError(400, "bad_request", "Invalid JSON body."),
  }) satisfies Dialect<Ctx>;
