/**
 * The Markdown report `policy:review` writes and the pull-request workflow
 * posts: violations grouped by severity, each with its resource, message and
 * remediation. The hidden marker lets the workflow edit its one comment
 * instead of adding a new one on every push.
 */
import type { Severity } from "@pulumi/policy";
import { POLICY_REVIEW_MARKER } from "../../infra/github/policy-review-workflows";
import type { Violation } from "./evaluate";
import type { ReviewResult } from "./review";

export const REPORT_MARKER = POLICY_REVIEW_MARKER;

const SEVERITIES: Severity[] = ["critical", "high", "medium", "low"];
const TITLE: Record<Severity, string> = {
  critical: "Critical",
  high: "High",
  medium: "Medium",
  low: "Low",
};

/** Markdown code span that survives backticks in the text. */
const code = (s: string) => "`" + s.replace(/`/g, "'") + "`";
const oneLine = (s: string) => s.replace(/\s*\n\s*/g, " ");

export function mandatoryCount(violations: readonly Violation[]): number {
  return violations.filter((v) => v.enforcementLevel === "mandatory").length;
}

function entry(v: Violation): string {
  const where = v.resource ? `${code(v.resource.type)} ${code(v.resource.name)}` : "the stack";
  return [
    `- **${v.policyName}** (${v.enforcementLevel}) on ${where}`,
    `  - ${oneLine(v.message)}`,
    `  - Fix: ${oneLine(v.remediationSteps)}`,
  ].join("\n");
}

/** `command`: how to reproduce the report, shown under it. */
export function renderReport(result: ReviewResult, policyCount: number, command?: string): string {
  const mandatory = mandatoryCount(result.violations);
  const advisory = result.violations.length - mandatory;
  const verdict =
    mandatory > 0
      ? `❌ **${mandatory} mandatory violation${mandatory === 1 ? "" : "s"}**: this change cannot be deployed as it is.`
      : "✅ **No mandatory violations.**";
  const lines = [
    REPORT_MARKER,
    `### Policy review: stack ${code(result.stack)}`,
    "",
    `${verdict} ${advisory} advisory. ${policyCount} policies checked ${result.resources.length} resources from ${code(result.stackFile)}, under mocks (no cloud credentials).`,
  ];
  for (const severity of SEVERITIES) {
    const group = result.violations.filter((v) => v.severity === severity);
    if (group.length === 0) continue;
    lines.push("", `#### ${TITLE[severity]} (${group.length})`, "", ...group.map(entry));
  }
  const again = command ?? `npm run policy:review -- -s ${result.stack}`;
  lines.push("", `<sub>${code(again)} reproduces this report.</sub>`);
  return lines.join("\n") + "\n";
}
