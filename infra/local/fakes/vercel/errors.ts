/**
 * Vercel's error bodies (`{error: {code, message}}`) and the checks every
 * list call shares, in one place so that each handler answers a failure in
 * the same shape and wording as the real API.
 */
const LIST_LIMIT_MAX = 100;

export const vercelError = (status: number, code: string, message: string, extra = {}) => ({
  status,
  body: { error: { code, message, ...extra } },
});

/** `Invalid request: …` is the wording the REST API uses for body validation errors. */
export const badRequest = (message: string) =>
  vercelError(400, "bad_request", `Invalid request: ${message}`);

export const projectNotFound = () => vercelError(404, "not_found", "Project not found");

export const deploymentNotFound = () => vercelError(404, "not_found", "Deployment not found");

export function parseLimit(raw: string | null, fallback: number): number | string {
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw)) return "`limit` should be number.";
  const n = Number(raw);
  if (n < 1 || n > LIST_LIMIT_MAX) return `\`limit\` should be between 1 and ${LIST_LIMIT_MAX}.`;
  return n;
}

/**
 * The first `limit` items of a newest-first list, with Vercel's `pagination` object:
 * `next` is the timestamp to pass as `until`/`from` for the following page (null on the
 * last), `prev` the first item's when the caller asked from a point in time.
 */
export function firstPage<T>(
  all: T[],
  limit: number,
  at: (item: T) => number,
  fromAPoint: boolean,
) {
  const page = all.slice(0, limit);
  return {
    page,
    pagination: {
      count: page.length,
      next: all.length > page.length ? at(page[page.length - 1]!) : null,
      prev: fromAPoint && page.length > 0 ? at(page[0]!) : null,
    },
  };
}
