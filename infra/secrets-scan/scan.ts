/**
 * `scanSecrets`: open the repository, run the chosen sources through the
 * detectors, turn detections into masked findings, apply the allowlist.
 */
import { isAbsolute, join, resolve } from "node:path";
import { loadAllowlist, applyAllowlist } from "./allowlist";
import { knownFindingIds } from "./catalog";
import { detectSecrets } from "./detect";
import { openRepository, resolveCommit } from "./git";
import { historySource } from "./history";
import { ALLOWLIST_FILE, toSecretFinding } from "./secret-finding";
import { stagedSource } from "./staged";
import type { ScanNote, ScanSource, SecretFinding, SecretScanReport } from "./types";
import type { SourceEvent, StatsCounter } from "./units";
import { worktreeSource } from "./worktree";

export interface SecretScanOptions {
  /** Any directory inside the repository. */
  cwd: string;
  /**
   * What to scan. `worktree` and `history` may be combined (the full
   * incident scan); `staged` stands alone (the pre-commit hook).
   */
  sources: readonly ScanSource[];
  /** History only: skip commits reachable from this ref (a branch, tag or commit id). */
  since?: string;
  /** Default: `.secrets-allowlist.yaml` at the repository's top level; relative paths are from there. */
  allowlistFile?: string;
  /** Larger files (or larger additions in one commit) are skipped with a note. Default 5 MiB. */
  maxFileBytes?: number;
}

export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;

const SEVERITY_RANK = { critical: 0, high: 1, medium: 2, low: 3, info: 4 } as const;
const SOURCE_RANK: Record<ScanSource, number> = { staged: 0, worktree: 1, history: 2 };

function validate(options: SecretScanOptions): void {
  const sources = new Set(options.sources);
  if (sources.size === 0)
    throw new Error("scanSecrets: choose at least one source (worktree, history, staged).");
  if (sources.has("staged") && sources.size > 1) {
    throw new Error(
      "scanSecrets: `staged` scans the index alone; run it without worktree or history.",
    );
  }
  if (options.since !== undefined && !sources.has("history")) {
    throw new Error("scanSecrets: `since` limits the history scan; add the history source.");
  }
}

/**
 * History findings of one value at one path collapse into the first commit
 * that added it; later re-additions are listed in its details.
 */
function collapseHistory(findings: SecretFinding[]): SecretFinding[] {
  const first = new Map<string, SecretFinding>();
  const out: SecretFinding[] = [];
  for (const finding of findings) {
    if (finding.location.source !== "history") {
      out.push(finding);
      continue;
    }
    const earlier = first.get(finding.fingerprint);
    if (!earlier) {
      first.set(finding.fingerprint, finding);
      out.push(finding);
      continue;
    }
    const again = `also added in commit ${finding.location.commit} (${finding.location.authorDate}) at line ${finding.location.line}`;
    earlier.details = [...(earlier.details ?? []), again];
  }
  return out;
}

function sortFindings(findings: SecretFinding[]): SecretFinding[] {
  return findings.sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      SOURCE_RANK[a.location.source] - SOURCE_RANK[b.location.source] ||
      a.location.path.localeCompare(b.location.path) ||
      a.location.line - b.location.line,
  );
}

export async function scanSecrets(options: SecretScanOptions): Promise<SecretScanReport> {
  validate(options);
  const started = Date.now();
  const repo = await openRepository(options.cwd);
  const sinceCommit =
    options.since !== undefined ? await resolveCommit(repo.root, options.since) : undefined;
  const knownRules = knownFindingIds();
  const allowlistPath = options.allowlistFile
    ? isAbsolute(options.allowlistFile)
      ? options.allowlistFile
      : resolve(repo.root, options.allowlistFile)
    : join(repo.root, ALLOWLIST_FILE);
  // Read before scanning: a broken allowlist fails fast, not after a long history scan.
  const allowlist = await loadAllowlist(allowlistPath, knownRules);

  const limits = { maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES };
  const stats: StatsCounter = {
    filesScanned: 0,
    commitsScanned: 0,
    patchesScanned: 0,
    bytesScanned: 0,
  };
  const notes: ScanNote[] = [];
  const raw: SecretFinding[] = [];
  const sources = [...new Set(options.sources)].sort((a, b) => SOURCE_RANK[a] - SOURCE_RANK[b]);

  if (sources.includes("history") && repo.shallow) {
    notes.push({
      kind: "shallow-history",
      message:
        "This is a shallow clone: commits before its cut-off were not scanned. Run `git fetch --unshallow` (in CI: checkout with fetch-depth: 0) and scan again.",
    });
  }

  for (const source of sources) {
    const events: AsyncGenerator<SourceEvent> =
      source === "worktree"
        ? worktreeSource(repo.root, limits, stats)
        : source === "staged"
          ? stagedSource(repo.root, limits, stats)
          : historySource(repo.root, { sinceCommit }, limits, stats);
    for await (const event of events) {
      if ("note" in event) {
        notes.push(event.note);
        continue;
      }
      const unit = event.unit;
      for (const detection of await detectSecrets(unit.text, unit.path)) {
        const line = unit.lineMap ? (unit.lineMap[detection.line - 1] ?? 0) : detection.line;
        raw.push(
          toSecretFinding(detection, {
            source: unit.source,
            path: unit.path,
            line,
            column: detection.column,
            ...(unit.commit ? { commit: unit.commit, authorDate: unit.authorDate } : {}),
          }),
        );
      }
    }
  }

  const { kept, suppressed, unused } = applyAllowlist(collapseHistory(raw), allowlist);
  return {
    root: repo.root,
    sources,
    ...(sinceCommit && options.since ? { since: { ref: options.since, commit: sinceCommit } } : {}),
    allowlistFile: allowlist ? allowlist.file : null,
    findings: sortFindings(kept),
    suppressed,
    unusedAllowlistEntries: unused,
    complete:
      sources.includes("worktree") && sources.includes("history") && !sinceCommit && !repo.shallow,
    notes,
    stats: { ...stats, durationMs: Date.now() - started },
  };
}
