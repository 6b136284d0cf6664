/**
 * The revocation queue, pure: which retired generations still need revoking,
 * given what the credential retired and what earlier revocations confirmed.
 * Ids stay in the queue until a revocation confirms them, so a crash or a
 * failed call never leaves a live credential forgotten.
 */
import type { RetiredEntry, Slot } from "./plan";

/** Confirmed revocations kept for de-duplication (the credential keeps its last 20 retired). */
export const REVOKED_KEPT = 100;

export function pendingRevocations(
  retired: readonly RetiredEntry[],
  revoked: readonly string[],
  live: readonly Slot[],
): RetiredEntry[] {
  const done = new Set(revoked);
  // A live generation (current, or a previous in its overlap) is never revoked, whatever the queue says.
  const keep = new Set(live.map((s) => s.id));
  return retired.filter((r) => !done.has(r.id) && !keep.has(r.id));
}

export function withRevoked(revoked: readonly string[], ids: readonly string[]): string[] {
  return [...revoked, ...ids.filter((id) => !revoked.includes(id))].slice(-REVOKED_KEPT);
}
