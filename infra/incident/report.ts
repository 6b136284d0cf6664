/**
 * The incident report: one line per step, the suggested severity with its
 * deadline, and the next command for each problem; and the same as the
 * first draft of the incident document (post-incident review template,
 * timeline started with what this run found).
 */
import { respondWithinText } from "../alerts/plan";
import { escalationTable, type AlertsConfig } from "../config/index";
import type { Finding } from "../lib/findings";
import { isFailing, labelOf, sortFindings } from "../lib/findings-render";
import type { SeveritySuggestion } from "./severity";
import type { StepResult, StepStatus } from "./steps";

export interface IncidentReport {
  stack?: string;
  /** ISO 8601. */
  startedAt: string;
  severity: SeveritySuggestion;
  steps: StepResult[];
}

const STATUS: Record<StepStatus, string> = {
  ok: "ok",
  problem: "PROBLEM",
  "could-not-check": "UNKNOWN",
};

/** What a step says in one line: its worst finding. */
function headline(step: StepResult): string {
  const worst = sortFindings(step.findings)[0];
  return worst ? worst.message : "nothing to report";
}

const clock = (iso: string) => iso.slice(11, 19);

export function severityLine(s: SeveritySuggestion): string {
  if (!s.severity)
    return s.unchecked.length
      ? `Suggested severity: none found in what could be checked — but ${s.unchecked.length} step(s) could not run (${s.unchecked.join(", ")}), so this is not an all-clear`
      : "Suggested severity: none — every step ran and found no problem";
  // The meaning already says how soon ("respond within 1 hour"); the deadline makes it a time.
  return `Suggested severity: ${s.severity} — ${s.meaning} Deadline ${s.respondBy!.slice(0, 10)} ${clock(s.respondBy!)} UTC (from the escalation table).`;
}

export function renderIncident(report: IncidentReport): string[] {
  const lines = [
    `Incident report${report.stack ? `: stack ${report.stack}` : ""}, ${report.startedAt.replace("T", " ").slice(0, 19)} UTC`,
    severityLine(report.severity),
  ];
  for (const reason of report.severity.reasons.slice(0, 3)) lines.push(`  because ${reason}`);
  if (report.severity.severity && report.severity.unchecked.length)
    lines.push(
      `  could not check (the severity may be higher): ${report.severity.unchecked.join(", ")}`,
    );
  lines.push("", "Steps (run in parallel):");
  for (const step of report.steps) {
    lines.push(`  ${STATUS[step.status].padEnd(8)} ${step.title.padEnd(22)} ${headline(step)}`);
    if (step.status !== "ok") lines.push(`  ${"".padEnd(8)} ${"".padEnd(22)} next: ${step.next}`);
  }
  return lines;
}

/** Every step's findings, the subject naming the step, in step order. */
export function incidentFindings(report: IncidentReport): Finding[] {
  return report.steps.flatMap((step) =>
    step.findings.map((f) => ({ ...f, subject: `${step.title}: ${f.subject}` })),
  );
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/**
 * The incident document: the post-incident review template with what is
 * known filled in. The timeline starts with this run and its problems; the
 * rest is for the people working the incident to write.
 */
export function incidentDocument(
  report: IncidentReport,
  alerts: AlertsConfig | undefined,
  command: string,
): string {
  const s = report.severity;
  const title = `${report.startedAt.slice(0, 10)} ${report.stack ?? "incident"}${s.severity ? ` (${s.severity}, suggested)` : ""}`;
  const timeline = [
    `| ${clock(report.startedAt)} | \`${cell(command)}\` run: ${cell(severityLine(s))} |`,
  ];
  for (const step of report.steps)
    for (const f of sortFindings(step.findings))
      if (isFailing(f, "low"))
        timeline.push(
          `| ${clock(report.startedAt)} | ${cell(`${step.title} — ${labelOf(f)}: ${f.message}`)} |`,
        );
  const escalation = escalationTable(alerts)
    .map(
      (r) =>
        `| ${r.severity} | ${respondWithinText(r.respondWithinMinutes)} | ${cell(r.meaning)} |`,
    )
    .join("\n");
  const steps = report.steps
    .map((step) => {
      const findings = sortFindings(step.findings)
        .map(
          (f) =>
            `- **${labelOf(f)}** ${f.message}${f.details?.length ? `\n${f.details.map((d) => `  - ${d}`).join("\n")}` : ""}${f.fix ? `\n  - fix: ${f.fix}` : ""}`,
        )
        .join("\n");
      return `### ${step.title}: ${STATUS[step.status]}\n\n${findings || "- nothing to report"}${step.status !== "ok" ? `\n\nNext: \`${step.next}\`` : ""}`;
    })
    .join("\n\n");
  return `# Incident ${title}

| | |
|---|---|
| status | open |
| severity | ${s.severity ? `${s.severity} (suggested by \`npm run incident\`; confirm or change it)` : "to be decided (no problem found by the checks)"} |
| detected | ${report.startedAt} |
| respond by | ${s.respondBy ? `${s.respondBy} (${respondWithinText(s.respondWithinMinutes ?? 0)})` : "—"} |
| stack | ${report.stack ?? "—"} |
| incident commander | _who leads the response_ |
| communications | _who updates users and the team, and where_ |

## Summary

_One paragraph: what users saw, since when, and how many were affected._

## Timeline (UTC)

| time | what happened |
|---|---|
${timeline.join("\n")}
| | _add every action and observation as it happens, with its time_ |

## Root cause

_What broke, and why it was possible. Ask "why" until the answer is something to change._

## Resolution

_What fixed it, with the commands run (and their output) and the time service was restored._

## Lessons

- What went well:
- What went badly:
- Where we were lucky:

## Action items

| action | owner | due |
|---|---|---|
| | | |

## Checks at detection

${steps}

## Escalation table

| severity | respond | meaning |
|---|---|---|
${escalation}
`;
}
