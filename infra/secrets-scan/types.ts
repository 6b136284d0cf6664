/**
 * The shapes the secret scan hands to its callers. A secret's value never
 * appears in any of them: only its masked form and a fingerprint.
 */
import type { Finding, FindingSeverity } from "../lib/findings";

/** Where to look: files on disk, every commit's additions, or what `git commit` is about to record. */
export type ScanSource = "worktree" | "history" | "staged";

/** What a detector is: the finding id it reports, how bad a leak is and how to revoke one. */
export interface DetectorInfo {
  /** Verb-first finding id, e.g. `disallow-github-token`. */
  id: string;
  /** One sentence: what the detector looks for. */
  description: string;
  severity: FindingSeverity;
  /** How to revoke and replace this kind of credential, as an imperative clause. */
  rotate: string;
}

/** Where a secret sits. Lines and columns are 1-based and refer to the file, not to a diff. */
export interface SecretLocation {
  source: ScanSource;
  /** Repository-relative, forward slashes. */
  path: string;
  line: number;
  column: number;
  /** History only: the full id of the commit that added the line. */
  commit?: string;
  /** History only: that commit's author date, ISO 8601. */
  authorDate?: string;
}

/** A leaked secret, in the project's finding shape plus the machine-readable parts. */
export interface SecretFinding extends Finding {
  location: SecretLocation;
  /** The secretlint rule that matched, e.g. `@secretlint/secretlint-rule-github`. */
  rule: string;
  /** The rule's message id, e.g. `GITHUB_TOKEN`. */
  messageId: string;
  /** The value with all but a short prefix hidden, e.g. `ghp_******** (40 chars)`. */
  masked: string;
  /** Stable id of (finding id, path, value) for allowlist entries and SARIF; not reversible. */
  fingerprint: string;
}

/** Something the scan could not read, so the result is incomplete there. */
export interface ScanNote {
  kind: "binary" | "too-large" | "unreadable" | "shallow-history";
  /** Repository-relative path, when the note is about one file. */
  path?: string;
  /** History only: the commit whose version of the file was skipped. */
  commit?: string;
  message: string;
}

/** One allowlist entry as read from the file, with where it is for error messages. */
export interface AllowlistEntry {
  /** 1-based position in the list. */
  index: number;
  /** Line in the allowlist file where the entry starts. */
  line: number;
  rule?: string;
  paths?: string[];
  fingerprint?: string;
  reason: string;
}

export interface SuppressedFinding {
  finding: SecretFinding;
  entry: AllowlistEntry;
}

export interface ScanStats {
  /** Files read from disk (worktree) or blobs read from the object store (staged). */
  filesScanned: number;
  commitsScanned: number;
  /** File changes whose added lines were scanned (history). */
  patchesScanned: number;
  bytesScanned: number;
  durationMs: number;
}

export interface SecretScanReport {
  /** Absolute path of the repository's top level. */
  root: string;
  sources: ScanSource[];
  /** History only: the commits reachable from this ref were left out. */
  since?: { ref: string; commit: string };
  /** Absolute path of the allowlist that was applied; null when the repository has none. */
  allowlistFile: string | null;
  /** Leaks to act on, most severe first. */
  findings: SecretFinding[];
  suppressed: SuppressedFinding[];
  /** Entries that matched nothing in this scan. */
  unusedAllowlistEntries: AllowlistEntry[];
  /** True when the scan covered the whole working tree and the whole history, so an unused entry is truly stale. */
  complete: boolean;
  notes: ScanNote[];
  stats: ScanStats;
}
