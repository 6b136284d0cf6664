/**
 * What the operational checks (db:status, db:performance) report: findings
 * with a severity and a fix, so the on-call engineer reads what is wrong and
 * what to do in the same place.
 */

/** `info` is context or a passed check; `warning` and `critical` make the command exit 1. */
export type FindingSeverity = "info" | "warning" | "critical";

export const FINDING_SEVERITIES: readonly FindingSeverity[] = ["critical", "warning", "info"];

export interface Finding {
  /** Stable id of the check, e.g. `locks` (for --json readers and tests). */
  check: string;
  severity: FindingSeverity;
  /** One line: what was found. */
  summary: string;
  /** One line per affected session, table or statement. */
  details: string[];
  /** What to do about it; absent for a passed check. */
  fix?: string;
  /** The check could not run here and says why in `details` (always `info`). */
  skipped?: boolean;
}

const RANK: Record<FindingSeverity, number> = { info: 0, warning: 1, critical: 2 };

/** Most severe first; within a severity, the order the checks ran (the sort is stable). */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => RANK[b.severity] - RANK[a.severity]);
}

/** True when any finding is a warning or worse: the command's "problem found". */
export function hasProblem(findings: readonly Finding[]): boolean {
  return findings.some((f) => RANK[f.severity] >= RANK.warning);
}

export function countBySeverity(findings: readonly Finding[]): Record<FindingSeverity, number> {
  const counts: Record<FindingSeverity, number> = { info: 0, warning: 0, critical: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

const LABEL: Record<FindingSeverity, string> = {
  critical: "CRITICAL",
  warning: "WARNING ",
  info: "ok      ",
};

/** Findings as an aligned block: severity, summary, then details and the fix indented. */
export function renderFindings(findings: readonly Finding[]): string[] {
  const lines: string[] = [];
  for (const f of sortFindings(findings)) {
    lines.push(`${f.skipped ? "skipped " : LABEL[f.severity]}  ${f.summary}`);
    for (const d of f.details) lines.push(`          ${d}`);
    if (f.fix) lines.push(`          fix: ${f.fix}`);
  }
  return lines;
}

/** The closing line: counts and the exit code they mean. */
export function renderVerdict(findings: readonly Finding[]): string {
  const c = countBySeverity(findings);
  const verdict = hasProblem(findings) ? "problems found (exit 1)" : "all good (exit 0)";
  return `Result: ${c.critical} critical, ${c.warning} warning${c.warning === 1 ? "" : "s"} — ${verdict}`;
}

/** What a check command prints: where it looked, with which limits, what it read and found. */
export interface CheckReport<Snapshot, Thresholds> {
  /** host:port/database, never the user or password. */
  target: string;
  thresholds: Thresholds;
  snapshot: Snapshot;
  findings: Finding[];
}

/** The `--json` form of a report, with the verdict and exit code up front. */
export function reportJson(report: CheckReport<unknown, unknown>, exitCode: number): string {
  return JSON.stringify({ ok: !hasProblem(report.findings), exitCode, ...report }, null, 2);
}

// ---------------------------------------------------------------------------
// Formatting helpers shared by the renderers
// ---------------------------------------------------------------------------

/** `3 d 4 h`, `12 min`, `45 s`: precise enough for a human, never more than two units. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 ? ` ${s % 60} s` : ""}`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h${m % 60 ? ` ${m % 60} min` : ""}`;
  const d = Math.floor(h / 24);
  return `${d} d${h % 24 ? ` ${h % 24} h` : ""}`;
}

/** Bytes in binary units, as Postgres' pg_size_pretty would show them. */
export function formatBytes(bytes: number): string {
  const units = ["bytes", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Thousands separators without depending on the machine's locale. */
export function formatCount(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
