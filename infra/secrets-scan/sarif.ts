/**
 * SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`).
 * Built here rather than with secretlint's SARIF formatter because a finding
 * here is more than a secretlint message: a commit and author date for
 * history findings, the project's finding id and severity, a fingerprint
 * GitHub can track across runs, and allowlisted findings as suppressions.
 * Values appear only masked.
 */
import type * as Sarif from "sarif";
import { detectorFor } from "./catalog";
import type { SecretFinding, SecretScanReport } from "./types";
import type { FindingSeverity } from "../lib/findings";

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

/** GitHub's severity bands: ≥9 critical, 7–8.9 high, 4–6.9 medium, 0.1–3.9 low. */
const SECURITY_SEVERITY: Record<FindingSeverity, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "3.0",
  info: "0.0",
};

const LEVEL: Record<FindingSeverity, Sarif.Result.level> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
  info: "note",
};

function toolVersion(): string {
  const { version } = require("@secretlint/core/package.json") as { version: string };
  return version;
}

function uriOf(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

function ruleOf(finding: SecretFinding): Sarif.ReportingDescriptor {
  const detector = detectorFor(finding.rule, finding.messageId);
  return {
    id: finding.id,
    name: finding.id,
    shortDescription: { text: detector.description },
    fullDescription: { text: `${detector.description} Severity ${detector.severity}.` },
    help: {
      text: `Rotate it first: ${detector.rotate}. Then remove it (and purge it from history if it was committed).`,
    },
    defaultConfiguration: { level: LEVEL[finding.severity] },
    properties: {
      "security-severity": SECURITY_SEVERITY[finding.severity],
      tags: ["security", "secret", "external/cwe/cwe-798"],
      precision: "high",
    },
  };
}

function resultOf(
  finding: SecretFinding,
  ruleIndex: number,
  suppression?: { reason: string; entry: string },
): Sarif.Result {
  const { location } = finding;
  const result: Sarif.Result = {
    ruleId: finding.id,
    ruleIndex,
    level: LEVEL[finding.severity],
    message: { text: `${finding.message} ${finding.fix}` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: uriOf(location.path), uriBaseId: "%SRCROOT%" },
          region: {
            startLine: Math.max(1, location.line),
            startColumn: Math.max(1, location.column),
          },
        },
      },
    ],
    partialFingerprints: { "secretFingerprint/v1": finding.fingerprint },
    properties: {
      source: location.source,
      masked: finding.masked,
      secretlintRule: `${finding.rule}/${finding.messageId}`,
      ...(location.commit ? { commit: location.commit, authorDate: location.authorDate } : {}),
    },
  };
  if (suppression) {
    result.suppressions = [
      {
        kind: "external",
        status: "accepted",
        justification: `${suppression.reason} (${suppression.entry})`,
      },
    ];
  }
  return result;
}

/** The report as a SARIF log with one run; allowlisted findings are included as suppressed results. */
export function toSarif(report: SecretScanReport): Sarif.Log {
  const rules: Sarif.ReportingDescriptor[] = [];
  const index = new Map<string, number>();
  const ruleIndex = (finding: SecretFinding) => {
    let i = index.get(finding.id);
    if (i === undefined) {
      i = rules.length;
      index.set(finding.id, i);
      rules.push(ruleOf(finding));
    }
    return i;
  };
  const results = [
    ...report.findings.map((f) => resultOf(f, ruleIndex(f))),
    ...report.suppressed.map(({ finding, entry }) =>
      resultOf(finding, ruleIndex(finding), {
        reason: entry.reason,
        entry: `allowlist entry ${entry.index}, line ${entry.line}`,
      }),
    ),
  ];
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "secrets-scan",
            fullName:
              "runbooks-as-code secrets scan (secretlint recommended preset + Supabase rules)",
            semanticVersion: toolVersion(),
            rules,
          },
        },
        automationDetails: { id: `secrets-scan/${report.sources.join("+")}/` },
        originalUriBaseIds: { "%SRCROOT%": { uri: `file://${uriOf(report.root)}/` } },
        results,
        properties: {
          sources: report.sources,
          ...(report.since ? { since: report.since } : {}),
          notes: report.notes.map((n) => n.message),
        },
      },
    ],
  };
}
