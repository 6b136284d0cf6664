/**
 * The one way to keep a finding: an entry in `.secrets-allowlist.yaml` at the
 * repository's top level, reviewed like any other change. Each entry says
 * why (`reason`, required) and matches by finding id plus path glob, by
 * fingerprint, or both; never by the value, which would put the secret in
 * the file that excuses it.
 *
 *   allow:
 *     - rule: disallow-basic-auth-credential
 *       path: test/fixtures/**
 *       reason: Fake credentials of the throwaway test database.
 *     - fingerprint: 0123456789abcdef
 *       reason: Revoked 2026-11-02 (INC-42); the commit is in published history.
 */
import { readFile } from "node:fs/promises";
import picomatch from "picomatch";
import { LineCounter, isMap, isSeq, parseDocument, type Node } from "yaml";
import { SecretsScanError } from "./errors";
import { FINGERPRINT_PATTERN } from "./mask";
import type { AllowlistEntry, SecretFinding, SuppressedFinding } from "./types";

const KEYS = new Set(["rule", "path", "fingerprint", "reason"]);

export interface Allowlist {
  /** Absolute path of the file. */
  file: string;
  entries: AllowlistEntry[];
}

function describe(entry: Partial<AllowlistEntry> & { index: number; line: number }): string {
  const parts = [
    entry.rule && `rule ${entry.rule}`,
    entry.paths && `path ${entry.paths.join(", ")}`,
    entry.fingerprint && `fingerprint ${entry.fingerprint}`,
  ].filter(Boolean);
  return `entry ${entry.index} (line ${entry.line}${parts.length ? `: ${parts.join(", ")}` : ""})`;
}

/** Parse and validate an allowlist. Pure: `file` is only used in messages. */
export function parseAllowlist(
  text: string,
  file: string,
  knownRules: readonly string[],
): Allowlist {
  const invalid = (message: string) =>
    new SecretsScanError("allowlist-invalid", `${file}: ${message}`);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw invalid(`not valid YAML: ${doc.errors[0]?.message}`);
  }
  const lineOf = (node: Node | null | undefined) =>
    node?.range ? lineCounter.linePos(node.range[0]).line : 1;
  const top = doc.contents;
  if (top === null) return { file, entries: [] };
  if (
    !isMap(top) ||
    top.items.some((pair) => String((pair.key as { value?: unknown })?.value) !== "allow")
  ) {
    throw invalid('expected one top-level key, "allow", holding a list of entries.');
  }
  const list = top.get("allow", true);
  if (list === null || list === undefined) return { file, entries: [] };
  if (!isSeq(list)) throw invalid('"allow" must be a list of entries (each starting with "- ").');

  const entries: AllowlistEntry[] = [];
  list.items.forEach((item, i) => {
    const index = i + 1;
    const line = lineOf(item as Node);
    if (!isMap(item))
      throw invalid(
        `entry ${index} (line ${line}) must be a mapping with rule/path/fingerprint and reason.`,
      );
    const raw = item.toJSON() as Record<string, unknown>;
    for (const key of Object.keys(raw)) {
      if (key === "value" || key === "secret") {
        throw invalid(
          `entry ${index} (line ${line}) has "${key}": never write the secret into the allowlist; match it by "fingerprint" (shown with each finding) instead.`,
        );
      }
      if (!KEYS.has(key)) {
        throw invalid(
          `entry ${index} (line ${line}) has unknown key "${key}"; allowed keys: rule, path, fingerprint, reason.`,
        );
      }
    }
    const entry: Partial<AllowlistEntry> & { index: number; line: number } = { index, line };
    if (raw.rule !== undefined) {
      if (typeof raw.rule !== "string" || !knownRules.includes(raw.rule)) {
        throw invalid(
          `${describe(entry)}: rule ${JSON.stringify(raw.rule)} is not a finding id of this scan; use one of: ${knownRules.join(", ")}.`,
        );
      }
      entry.rule = raw.rule;
    }
    if (raw.path !== undefined) {
      const paths = Array.isArray(raw.path) ? raw.path : [raw.path];
      if (paths.length === 0 || paths.some((p) => typeof p !== "string" || p.trim() === "")) {
        throw invalid(
          `${describe(entry)}: path must be a glob or a list of globs, relative to the repository root.`,
        );
      }
      entry.paths = paths as string[];
    }
    if (raw.fingerprint !== undefined) {
      const fp = String(raw.fingerprint);
      if (!FINGERPRINT_PATTERN.test(fp)) {
        throw invalid(
          `${describe(entry)}: fingerprint must be the 16 hex digits printed with the finding.`,
        );
      }
      entry.fingerprint = fp;
    }
    if (!entry.fingerprint && !(entry.rule && entry.paths)) {
      throw invalid(
        `${describe(entry)} matches too much: give a "fingerprint", or both "rule" and "path".`,
      );
    }
    if (typeof raw.reason !== "string" || raw.reason.trim() === "") {
      throw invalid(
        `${describe(entry)} has no reason. Add "reason:" saying why this finding is safe to keep (a fake test value, a credential already revoked, …); entries without one are refused.`,
      );
    }
    entries.push({ ...entry, reason: raw.reason.trim() } as AllowlistEntry);
  });
  return { file, entries };
}

/** Read the allowlist; null when the file does not exist, an error when it exists but cannot be read. */
export async function loadAllowlist(
  file: string,
  knownRules: readonly string[],
): Promise<Allowlist | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    throw new SecretsScanError(
      "allowlist-unreadable",
      `Cannot read the allowlist ${file}: ${(error as Error).message}. Fix its permissions (it must be a readable file), or remove it to scan without suppressions.`,
    );
  }
  return parseAllowlist(text, file, knownRules);
}

function matcher(entry: AllowlistEntry): (finding: SecretFinding) => boolean {
  const glob = entry.paths ? picomatch(entry.paths, { dot: true }) : null;
  return (finding) =>
    (entry.fingerprint === undefined || entry.fingerprint === finding.fingerprint) &&
    (entry.rule === undefined || entry.rule === finding.id) &&
    (glob === null || glob(finding.location.path));
}

export interface AllowlistOutcome {
  kept: SecretFinding[];
  suppressed: SuppressedFinding[];
  unused: AllowlistEntry[];
}

/** Split findings into kept and suppressed (by the first matching entry), and list entries that matched none. */
export function applyAllowlist(
  findings: readonly SecretFinding[],
  allowlist: Allowlist | null,
): AllowlistOutcome {
  if (!allowlist) return { kept: [...findings], suppressed: [], unused: [] };
  const matchers = allowlist.entries.map((entry) => ({ entry, matches: matcher(entry) }));
  const used = new Set<AllowlistEntry>();
  const kept: SecretFinding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const finding of findings) {
    const hit = matchers.find((m) => m.matches(finding));
    if (hit) {
      used.add(hit.entry);
      suppressed.push({ finding, entry: hit.entry });
    } else {
      kept.push(finding);
    }
  }
  return { kept, suppressed, unused: allowlist.entries.filter((e) => !used.has(e)) };
}

/** How an entry is named in reports, e.g. `entry 2 (line 7: rule disallow-github-token, path test/**)`. */
export function describeEntry(entry: AllowlistEntry): string {
  return describe(entry);
}
