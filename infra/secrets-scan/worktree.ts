/**
 * The working tree as the next `git add -A` would see it: tracked files plus
 * untracked files that .gitignore does not exclude, read from disk. Symlinks
 * and submodules are not followed (their content is not this repository's).
 */
import { lstat, readFile } from "node:fs/promises";
import { join } from "node:path";
import { formatBytes } from "../lib/format";
import { gitOk, isBinary } from "./git";
import type { SourceEvent, SourceLimits, StatsCounter } from "./units";

export async function* worktreeSource(
  root: string,
  limits: SourceLimits,
  stats: StatsCounter,
): AsyncGenerator<SourceEvent> {
  const listing = await gitOk(root, [
    "ls-files",
    "-z",
    "--cached",
    "--others",
    "--exclude-standard",
  ]);
  const paths = [...new Set(listing.toString("utf8").split("\0").filter(Boolean))].sort();
  for (const path of paths) {
    const full = join(root, path);
    let info;
    try {
      info = await lstat(full);
    } catch {
      continue; // deleted in the working tree but still in the index: nothing on disk to leak
    }
    if (!info.isFile()) continue;
    if (info.size > limits.maxFileBytes) {
      yield {
        note: {
          kind: "too-large",
          path,
          message: `Skipped ${path}: ${formatBytes(info.size)} is over the ${formatBytes(limits.maxFileBytes)} limit.`,
        },
      };
      continue;
    }
    let content: Buffer;
    try {
      content = await readFile(full);
    } catch (error) {
      yield {
        note: {
          kind: "unreadable",
          path,
          message: `Could not read ${path}: ${(error as Error).message}`,
        },
      };
      continue;
    }
    if (isBinary(content)) {
      yield { note: { kind: "binary", path, message: `Skipped ${path}: binary content.` } };
      continue;
    }
    stats.filesScanned++;
    stats.bytesScanned += content.length;
    yield { unit: { source: "worktree", path, text: content.toString("utf8") } };
  }
}
