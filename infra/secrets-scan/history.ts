/**
 * Every commit's additions, from one `git log -p -U0` stream: each file
 * change yields only the lines it added, so a secret is reported in the
 * commit that introduced it and a line carried through a hundred later
 * commits is scanned once. A (blob, path) pair seen before is skipped: the
 * same content re-added by a merge, cherry-pick or revert adds nothing new.
 *
 * Merges are diffed against their first parent, so lines written while
 * resolving a conflict are scanned too; everything else they bring in was
 * scanned on the branch (and is skipped by the blob check).
 *
 * Files git shows as "Binary files differ" are read once from the object
 * store: a `.gitattributes` entry (`-diff`, `binary`) can make a text file
 * look binary, and a secret must not hide behind it.
 */
import { formatBytes } from "../lib/format";
import { BlobReader, gitLines, isBinary } from "./git";
import { COMMIT_FORMAT, LogPatchParser, addedText, type FilePatch } from "./log-parser";
import type { SourceEvent, SourceLimits, StatsCounter } from "./units";

const NOT_CONTENT = new Set(["120000", "160000"]);

export interface HistoryRange {
  /** Leave out commits reachable from this commit id (already resolved). */
  sinceCommit?: string;
}

export function historyLogArgs(range: HistoryRange): string[] {
  return [
    "log",
    "--all",
    ...(range.sinceCommit ? ["--not", range.sinceCommit] : []),
    "--reverse",
    "-p",
    "-U0",
    "--no-color",
    "--no-renames",
    "--full-index",
    "--no-ext-diff",
    "--no-textconv",
    "--diff-merges=first-parent",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--submodule=short",
    `--format=${COMMIT_FORMAT}`,
    "--",
  ];
}

export async function* historySource(
  root: string,
  range: HistoryRange,
  limits: SourceLimits,
  stats: StatsCounter,
): AsyncGenerator<SourceEvent> {
  const parser = new LogPatchParser(limits.maxFileBytes);
  const seen = new Set<string>();
  const binaryNoted = new Set<string>();
  // Started on the first binary-looking change only; most histories have few.
  const blobs: { reader?: BlobReader } = {};

  async function* handle(patch: FilePatch): AsyncGenerator<SourceEvent> {
    if (patch.blob === null || (patch.mode && NOT_CONTENT.has(patch.mode))) return;
    const key = `${patch.blob}\0${patch.path}`;
    if (seen.has(key)) return;
    seen.add(key);
    const where = { path: patch.path, commit: patch.commit };
    const short = patch.commit.slice(0, 12);
    if (patch.truncated) {
      yield {
        note: {
          kind: "too-large",
          ...where,
          message: `Skipped ${patch.path} in commit ${short}: it added ${formatBytes(patch.addedBytes)}, over the ${formatBytes(limits.maxFileBytes)} limit.`,
        },
      };
      return;
    }
    if (patch.binary) {
      blobs.reader ??= new BlobReader(root);
      const content = await blobs.reader.read(patch.blob);
      if (content === null) return;
      if (content.length > limits.maxFileBytes || isBinary(content)) {
        if (binaryNoted.has(patch.path)) return;
        binaryNoted.add(patch.path);
        const big = content.length > limits.maxFileBytes;
        yield {
          note: {
            kind: big ? "too-large" : "binary",
            ...where,
            message: big
              ? `Skipped ${patch.path} from commit ${short} on: ${formatBytes(content.length)} is over the ${formatBytes(limits.maxFileBytes)} limit.`
              : `Skipped ${patch.path} from commit ${short} on: binary content.`,
          },
        };
        return;
      }
      stats.patchesScanned++;
      stats.bytesScanned += content.length;
      yield {
        unit: {
          source: "history",
          ...where,
          authorDate: patch.authorDate,
          text: content.toString("utf8"),
        },
      };
      return;
    }
    if (patch.added.length === 0) return;
    const { text, lineMap } = addedText(patch.added);
    stats.patchesScanned++;
    stats.bytesScanned += patch.addedBytes;
    yield { unit: { source: "history", ...where, authorDate: patch.authorDate, text, lineMap } };
  }

  try {
    for await (const line of gitLines(root, historyLogArgs(range))) {
      parser.push(line);
      for (const patch of parser.take()) yield* handle(patch);
    }
    for (const patch of parser.end()) yield* handle(patch);
    stats.commitsScanned += parser.commits;
  } finally {
    blobs.reader?.close();
  }
}
