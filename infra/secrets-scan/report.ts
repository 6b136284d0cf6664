/**
 * A scan report as the project's findings, for a command to print, plus the
 * verdict it exits with. Secret findings come first; then what the scan
 * could not cover (notes, marked as not checked) and stale allowlist entries.
 */
import { relative } from "node:path";
import type { Finding } from "../lib/findings";
import { describeEntry } from "./allowlist";
import type { ScanNote, SecretScanReport } from "./types";

function noteFinding(note: ScanNote): Finding {
  if (note.kind === "shallow-history") {
    return {
      id: "fetch-full-history",
      severity: "medium",
      subject: "git history",
      message: note.message,
      fix: "Fetch the whole history (`git fetch --unshallow`; in GitHub Actions `actions/checkout` with `fetch-depth: 0`) and run the scan again.",
      couldNotCheck: true,
    };
  }
  const subject = note.commit ? `${note.path} @ ${note.commit.slice(0, 12)}` : (note.path ?? "");
  return {
    id:
      note.kind === "binary"
        ? "skip-binary-file"
        : note.kind === "too-large"
          ? "skip-large-file"
          : "read-file",
    severity: note.kind === "unreadable" ? "medium" : "info",
    subject,
    message: note.message,
    fix:
      note.kind === "unreadable"
        ? "Make the file readable by the user running the scan and scan again."
        : note.kind === "too-large"
          ? "Check this file by hand, or raise the size limit for one run if it is text that must be scanned."
          : "Binary files are not scanned; check by hand that it is not a key store or an archive of credentials.",
    // What was skipped was not scanned: never shown or counted as clean.
    couldNotCheck: true,
  };
}

/**
 * Everything the command should show. Unused allowlist entries become
 * findings only after a complete scan (working tree and whole history):
 * in a narrower scan an entry for a finding elsewhere is simply not reached.
 */
export function reportFindings(report: SecretScanReport): Finding[] {
  const out: Finding[] = [...report.findings, ...report.notes.map(noteFinding)];
  if (report.complete && report.allowlistFile) {
    const file = relative(report.root, report.allowlistFile) || report.allowlistFile;
    for (const entry of report.unusedAllowlistEntries) {
      out.push({
        id: "remove-unused-allowlist-entry",
        severity: "low",
        subject: `${file} ${describeEntry(entry)}`,
        message: `Allowlist ${describeEntry(entry)} matched nothing in the working tree or the history.`,
        fix: `Delete the entry from ${file}, so it cannot hide a future leak that happens to match it.`,
      });
    }
  }
  return out;
}

/** A leak was found: the scan (and the pre-commit hook) must fail. Notes and stale entries alone do not fail it. */
export function hasLeaks(report: SecretScanReport): boolean {
  return report.findings.length > 0;
}
