/**
 * The rotation's notion of "now". Ages, overlaps and staggering are decided
 * against it, so a test can fix it: RUNBOOKS_ROTATION_CLOCK (an ISO time) is
 * read by the provider process on every call, and is unset in real runs.
 */
export const CLOCK_ENV = "RUNBOOKS_ROTATION_CLOCK";

export function rotationNow(env: NodeJS.ProcessEnv = process.env): Date {
  const fixed = env[CLOCK_ENV];
  if (fixed === undefined || fixed === "") return new Date();
  const at = new Date(fixed);
  if (Number.isNaN(at.getTime()))
    throw new Error(`${CLOCK_ENV}='${fixed}' is not an ISO time such as 2026-01-31T12:00:00Z`);
  return at;
}
