/**
 * Installs the pre-commit hook that runs the staged scan. The hook goes
 * where git will run it (`git rev-parse --git-path hooks`, which honours
 * `core.hooksPath` and linked worktrees). A hook this installer did not
 * write is never replaced silently: without `force` it is refused, with
 * `force` it is kept beside the new one as `pre-commit.backup`.
 */
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { SecretsScanError } from "./errors";
import { gitOk, openRepository } from "./git";

/** Identifies a hook written by this installer, whatever its version. */
export const HOOK_MARKER = "# managed-by: runbooks secrets:hook";

export const HOOK_SCRIPT = `#!/bin/sh
${HOOK_MARKER} (reinstall with: npm run secrets:hook)
# Refuses the commit when a staged file holds a secret. Findings that are
# safe to keep go into .secrets-allowlist.yaml, each with a reason.
exec npm run --silent secrets:scan -- --staged
`;

export interface HookInstallOptions {
  /** Any directory inside the repository. */
  cwd: string;
  /** Replace a pre-commit hook that this installer did not write (it is backed up first). */
  force?: boolean;
}

export interface HookInstallResult {
  /** Absolute path of the hook file. */
  path: string;
  /** `unchanged`: already installed, nothing written. `updated`: an older version of this hook was rewritten. */
  action: "installed" | "unchanged" | "updated" | "replaced";
  /** Where a foreign hook was moved to (`replaced` only). */
  backup?: string;
}

function firstLines(text: string): string {
  return text.split("\n").slice(0, 3).join(" | ").slice(0, 200);
}

function freeBackupPath(path: string): string {
  let candidate = `${path}.backup`;
  for (let n = 2; existsSync(candidate); n++) candidate = `${path}.backup.${n}`;
  return candidate;
}

export async function installPreCommitHook(
  options: HookInstallOptions,
): Promise<HookInstallResult> {
  const repo = await openRepository(options.cwd);
  const hooksDirRaw = (await gitOk(repo.root, ["rev-parse", "--git-path", "hooks"]))
    .toString("utf8")
    .trim();
  const hooksDir = isAbsolute(hooksDirRaw) ? hooksDirRaw : join(repo.root, hooksDirRaw);
  const path = join(hooksDir, "pre-commit");
  let existing: string | null = null;
  try {
    existing = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new SecretsScanError(
        "hook-conflict",
        `Cannot read the existing hook ${path}: ${(error as Error).message}`,
      );
    }
  }

  if (existing === HOOK_SCRIPT) {
    await chmod(path, 0o755); // a checkout or copy may have dropped the executable bit
    return { path, action: "unchanged" };
  }
  const ours = existing?.includes(HOOK_MARKER) ?? false;
  let backup: string | undefined;
  if (existing !== null && !ours) {
    if (!options.force) {
      throw new SecretsScanError(
        "hook-conflict",
        `A pre-commit hook that this installer did not write is already at ${path} (it starts: ${firstLines(existing)}). ` +
          "Add `npm run --silent secrets:scan -- --staged` to it yourself, or run `npm run secrets:hook -- --force` to replace it (the old hook is kept as pre-commit.backup).",
      );
    }
    backup = freeBackupPath(path);
    await rename(path, backup);
  }
  await mkdir(hooksDir, { recursive: true });
  await writeFile(path, HOOK_SCRIPT, { mode: 0o755 });
  await chmod(path, 0o755);
  if (backup) return { path, action: "replaced", backup };
  return { path, action: ours ? "updated" : "installed" };
}
