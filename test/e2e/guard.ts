import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../infra/lib/paths";

/**
 * `git status --porcelain stacks/` plus a hash of every file there: a suite
 * compares it before and after, so a write into the committed stack files
 * fails the suite even where git would not see it (e.g. an identical rewrite
 * that only changes the mtime is fine, a changed byte is not).
 */
export function stacksDirStatus(): string {
  const dir = join(REPO_ROOT, "stacks");
  const status = execFileSync("git", ["status", "--porcelain", "--", "stacks/"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  const hashes = readdirSync(dir)
    .sort()
    .map(
      (f) =>
        `${f} ${createHash("sha256")
          .update(readFileSync(join(dir, f)))
          .digest("hex")}`,
    );
  return [status.trim(), ...hashes].join("\n");
}
