/**
 * What retention keeps and deletes, decided without S3 (pure, fixed clock).
 *
 * Grandfather-father-son: the newest complete backup of each of the last
 * `daily` days that have one, of the last `weekly` ISO weeks and of the last
 * `monthly` months. On top of that, always:
 * - the newest complete backup, whatever the counts say (also when they are 0);
 * - the backup latest.json points to;
 * - incomplete folders younger than `incompleteGraceHours` (a backup may be
 *   running); older ones are failed attempts and are deleted.
 * Days, weeks and months are UTC, like the backup ids.
 */
import type { ListedBackup } from "./listing";

export interface RetentionPolicy {
  daily: number;
  weekly: number;
  monthly: number;
  /** Incomplete folders younger than this are left alone. */
  incompleteGraceHours: number;
}

export interface RetentionDecision {
  id: string;
  action: "keep" | "delete";
  /** Why, in words: `daily 2026-01-03`, `newest complete backup`, `failed attempt`. */
  reasons: string[];
}

const day = (d: Date) => d.toISOString().slice(0, 10);
const month = (d: Date) => d.toISOString().slice(0, 7);

/** ISO 8601 week, e.g. `2026-W01` (weeks start on Monday; week 1 holds the first Thursday). */
export function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  // Move to the Thursday of this week: its year is the ISO year.
  t.setUTCDate(t.getUTCDate() + 4 - (t.getUTCDay() || 7));
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}

export function planRetention(
  backups: readonly Pick<ListedBackup, "id" | "startedAt" | "complete">[],
  policy: RetentionPolicy,
  options: { now: Date; latestId?: string },
): RetentionDecision[] {
  const sorted = [...backups].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const reasons = new Map<string, string[]>(sorted.map((b) => [b.id, []]));
  const complete = sorted.filter((b) => b.complete);
  const bucket = (label: string, count: number, period: (d: Date) => string) => {
    const seen = new Set<string>();
    for (const b of complete) {
      const p = period(b.startedAt);
      if (seen.has(p)) continue;
      if (seen.size >= count) break;
      seen.add(p);
      reasons.get(b.id)!.push(`${label} ${p}`);
    }
  };
  bucket("daily", policy.daily, day);
  bucket("weekly", policy.weekly, isoWeek);
  bucket("monthly", policy.monthly, month);
  if (complete[0]) reasons.get(complete[0].id)!.push("newest complete backup");
  if (options.latestId && reasons.has(options.latestId))
    reasons.get(options.latestId)!.push("latest.json points to it");
  const graceMs = policy.incompleteGraceHours * 3_600_000;
  for (const b of sorted) {
    if (!b.complete && options.now.getTime() - b.startedAt.getTime() < graceMs)
      reasons.get(b.id)!.push("incomplete but recent: may still be running");
  }
  return sorted.map((b) => {
    const why = reasons.get(b.id)!;
    if (why.length > 0) return { id: b.id, action: "keep", reasons: why };
    return {
      id: b.id,
      action: "delete",
      reasons: [b.complete ? "outside the retention counts" : "failed attempt (no manifest)"],
    };
  });
}
