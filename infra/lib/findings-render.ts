/**
 * How findings are ranked, counted, turned into an exit code and printed —
 * the same for every command, so "exit 1" and "MEDIUM" mean one thing
 * whichever command said them.
 *
 * Exit codes: 0 nothing at or above the command's failing level; 1 a problem
 * at or above it; 2 could not check (a check that could not run at or above
 * that level, or the command itself could not run). A problem found wins over
 * a check that could not run: it is the more useful thing to act on.
 */
import type { Finding, FindingSeverity } from "./findings";

export const SEVERITIES: readonly FindingSeverity[] = ["critical", "high", "medium", "low", "info"];

const RANK: Record<FindingSeverity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

export const EXIT_OK = 0;
export const EXIT_PROBLEM = 1;
export const EXIT_COULD_NOT_CHECK = 2;
export type ExitCode = typeof EXIT_OK | typeof EXIT_PROBLEM | typeof EXIT_COULD_NOT_CHECK;

/** The level from which a finding fails a command, unless the command says otherwise. */
export const DEFAULT_FAIL_ON: FindingSeverity = "medium";

export function isSeverity(value: unknown): value is FindingSeverity {
  return typeof value === "string" && value in RANK;
}

export function atLeast(severity: FindingSeverity, level: FindingSeverity): boolean {
  return RANK[severity] >= RANK[level];
}

/** Most severe first; within a severity, checks that ran before those that could not, then input order. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort(
      (a, b) =>
        RANK[b.f.severity] - RANK[a.f.severity] ||
        Number(a.f.couldNotCheck ?? false) - Number(b.f.couldNotCheck ?? false) ||
        a.i - b.i,
    )
    .map(({ f }) => f);
}

/** Counts by severity of the checks that ran, and how many could not run. */
export type FindingSummary = Record<FindingSeverity, number> & { couldNotCheck: number };

export function summarize(findings: readonly Finding[]): FindingSummary {
  const summary: FindingSummary = {
    critical: 0,
    high: 0,
    medium: 0,
    low: 0,
    info: 0,
    couldNotCheck: 0,
  };
  for (const f of findings) {
    if (f.couldNotCheck) summary.couldNotCheck++;
    else summary[f.severity]++;
  }
  return summary;
}

/** A finding that makes the command exit non-zero. */
export function isFailing(finding: Finding, failOn: FindingSeverity = DEFAULT_FAIL_ON): boolean {
  return atLeast(finding.severity, failOn);
}

export function exitCodeFor(
  findings: readonly Finding[],
  failOn: FindingSeverity = DEFAULT_FAIL_ON,
): ExitCode {
  const failing = findings.filter((f) => isFailing(f, failOn));
  if (failing.some((f) => !f.couldNotCheck)) return EXIT_PROBLEM;
  if (failing.length > 0) return EXIT_COULD_NOT_CHECK;
  return EXIT_OK;
}

const WIDTH = 10;
const INDENT = " ".repeat(WIDTH);

/** Upper case asks for attention; lower case is fine or deliberately not looked at. */
export function labelOf(f: Finding): string {
  if (f.couldNotCheck) return f.severity === "info" ? "skipped" : "UNKNOWN";
  return f.severity === "info" ? "ok" : f.severity.toUpperCase();
}

export interface RenderOptions {
  failOn?: FindingSeverity;
  /** Only what makes the command fail (problems and checks that could not run at that level). */
  quiet?: boolean;
}

/**
 * Findings as an aligned block, most severe first: the label and the message,
 * then details, the fix and (for anything not fine) the rule id and subject.
 */
export function renderFindings(
  findings: readonly Finding[],
  options: RenderOptions = {},
): string[] {
  const failOn = options.failOn ?? DEFAULT_FAIL_ON;
  const lines: string[] = [];
  for (const f of sortFindings(findings)) {
    if (options.quiet && !isFailing(f, failOn)) continue;
    lines.push(`${labelOf(f).padEnd(WIDTH)}${f.message}`);
    for (const d of f.details ?? []) lines.push(`${INDENT}${d}`);
    if (f.fix) lines.push(`${INDENT}fix: ${f.fix}`);
    if (f.severity !== "info") lines.push(`${INDENT}[${f.id}] ${f.subject}`);
  }
  return lines;
}

const VERDICT: Record<ExitCode, string> = {
  [EXIT_OK]: "ALL GOOD",
  [EXIT_PROBLEM]: "PROBLEMS FOUND",
  [EXIT_COULD_NOT_CHECK]: "COULD NOT CHECK",
};

/** The closing line: the verdict with its exit code first, then the counts. */
export function renderVerdict(
  findings: readonly Finding[],
  failOn: FindingSeverity = DEFAULT_FAIL_ON,
): string {
  const code = exitCodeFor(findings, failOn);
  const s = summarize(findings);
  let verdict = `${VERDICT[code]} (exit ${code})`;
  if (code === EXIT_OK) {
    const below = findings.filter((f) => !f.couldNotCheck && f.severity !== "info").length;
    if (below > 0) verdict = `OK (exit 0): ${below} below the failing level (${failOn})`;
  }
  const counts = SEVERITIES.map((sev) => `${s[sev]} ${sev}`).join(", ");
  const unchecked = s.couldNotCheck > 0 ? `, ${s.couldNotCheck} not checked` : "";
  return `Result: ${verdict} — ${counts}${unchecked}`;
}
