/**
 * What `git commit` is about to record: the blobs in the index for every
 * path that differs from HEAD, read from the object store, so an edit made
 * after `git add` neither hides nor adds a finding. The whole staged file is
 * scanned, not only the changed lines: committing a file that holds a secret
 * is what the hook is there to stop.
 */
import { formatBytes } from "../lib/format";
import { BlobReader, git, gitOk, isBinary } from "./git";
import type { SourceEvent, SourceLimits, StatsCounter } from "./units";

/** Modes whose blob is a link target or a commit id, not file content. */
const NOT_CONTENT = new Set(["120000", "160000"]);

interface StagedBlob {
  path: string;
  blob: string;
  mode: string;
}

/** Parse `git diff --cached --raw -z`: `:<old mode> <new mode> <old> <new> <status>\0<path>\0`. */
export function parseRawDiff(output: string): StagedBlob[] {
  const fields = output.split("\0");
  const out: StagedBlob[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const meta = fields[i] ?? "";
    const path = fields[i + 1] ?? "";
    const [, mode = "", , blob = "", status = ""] = meta.slice(1).split(" ");
    if (status.startsWith("D") || /^0+$/.test(blob)) continue;
    out.push({ path, blob, mode });
  }
  return out;
}

async function emptyTree(root: string): Promise<string> {
  // Not a constant: SHA-256 repositories have a different one.
  const result = await git(root, ["hash-object", "-t", "tree", "/dev/null"]);
  return result.stdout.toString("utf8").trim();
}

export async function* stagedSource(
  root: string,
  limits: SourceLimits,
  stats: StatsCounter,
): AsyncGenerator<SourceEvent> {
  const head = await git(root, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]);
  const base = head.code === 0 ? "HEAD" : await emptyTree(root);
  const raw = await gitOk(root, [
    "diff",
    "--cached",
    "--raw",
    "-z",
    "--no-renames",
    "--no-abbrev",
    base,
  ]);
  const staged = parseRawDiff(raw.toString("utf8")).filter((s) => !NOT_CONTENT.has(s.mode));
  if (staged.length === 0) return;
  const reader = new BlobReader(root);
  try {
    for (const { path, blob } of staged) {
      const content = await reader.read(blob);
      if (content === null) continue;
      if (content.length > limits.maxFileBytes) {
        yield {
          note: {
            kind: "too-large",
            path,
            message: `Skipped staged ${path}: ${formatBytes(content.length)} is over the ${formatBytes(limits.maxFileBytes)} limit.`,
          },
        };
        continue;
      }
      if (isBinary(content)) {
        yield {
          note: { kind: "binary", path, message: `Skipped staged ${path}: binary content.` },
        };
        continue;
      }
      stats.filesScanned++;
      stats.bytesScanned += content.length;
      yield { unit: { source: "staged", path, text: content.toString("utf8") } };
    }
  } finally {
    reader.close();
  }
}
