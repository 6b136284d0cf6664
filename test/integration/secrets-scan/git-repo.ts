/**
 * Real temporary git repositories for the secret-scan tests, isolated from
 * the machine's git configuration (a global core.hooksPath or signing
 * setting must not change what the tests see).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll } from "vitest";

const isolation = mkdtempSync(join(tmpdir(), "secrets-scan-gitconfig-"));
writeFileSync(join(isolation, "gitconfig"), "");
// The scanner spawns git with process.env, so this isolates it too.
process.env.GIT_CONFIG_GLOBAL = join(isolation, "gitconfig");
process.env.GIT_CONFIG_NOSYSTEM = "1";

export class TestRepo {
  private constructor(readonly root: string) {}

  static create(options: { bare?: boolean } = {}): TestRepo {
    const root = mkdtempSync(join(tmpdir(), "secrets-scan-repo-"));
    const repo = new TestRepo(root);
    repo.git("init", "-q", "-b", "main", ...(options.bare ? ["--bare"] : []));
    repo.git("config", "user.name", "Test Author");
    repo.git("config", "user.email", "author@example.test");
    repo.git("config", "commit.gpgsign", "false");
    return repo;
  }

  /** `git clone <args> file://<source>` into a new temporary directory. */
  static clone(source: TestRepo, ...args: string[]): TestRepo {
    const root = mkdtempSync(join(tmpdir(), "secrets-scan-clone-"));
    execFileSync("git", ["clone", "-q", ...args, `file://${source.root}`, root], {
      stdio: "ignore",
    });
    return new TestRepo(root);
  }

  git(...args: string[]): string {
    return execFileSync("git", args, {
      cwd: this.root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  }

  write(path: string, content: string | Buffer): this {
    const full = join(this.root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    return this;
  }

  remove(path: string): this {
    rmSync(join(this.root, path), { force: true });
    return this;
  }

  /** Stage everything and commit with a fixed author date; returns the commit id. */
  commit(message: string, date = "2026-01-02T03:04:05+00:00"): string {
    this.git("add", "-A");
    execFileSync("git", ["commit", "-q", "--allow-empty", "-m", message], {
      cwd: this.root,
      env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
      stdio: "ignore",
    });
    return this.git("rev-parse", "HEAD");
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * A factory of temporary repositories (new, or cloned from another with git
 * clone's arguments) that are all removed when the test file ends.
 */
export function repoFactory(): (cloneOf?: TestRepo, ...cloneArgs: string[]) => TestRepo {
  const repos: TestRepo[] = [];
  afterAll(() => repos.forEach((r) => r.dispose()));
  return (cloneOf, ...cloneArgs) => {
    const repo = cloneOf ? TestRepo.clone(cloneOf, ...cloneArgs) : TestRepo.create();
    repos.push(repo);
    return repo;
  };
}
