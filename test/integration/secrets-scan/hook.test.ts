import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HOOK_MARKER, HOOK_SCRIPT, installPreCommitHook } from "../../../infra/secrets-scan";
import { repoFactory } from "./git-repo";

const newRepo = repoFactory();

describe("installPreCommitHook", () => {
  it("writes an executable hook that runs the staged scan, and is idempotent", async () => {
    const repo = newRepo();
    const first = await installPreCommitHook({ cwd: repo.root });
    const path = join(repo.root, ".git", "hooks", "pre-commit");
    expect(first).toEqual({ path, action: "installed" });
    expect(readFileSync(path, "utf8")).toBe(HOOK_SCRIPT);
    expect(HOOK_SCRIPT).toContain("exec npm run --silent secrets:scan -- --staged");
    expect(statSync(path).mode & 0o111).toBe(0o111);
    expect(await installPreCommitHook({ cwd: repo.root })).toEqual({ path, action: "unchanged" });
    expect(readFileSync(path, "utf8")).toBe(HOOK_SCRIPT);
  });

  it("rewrites an older version of its own hook", async () => {
    const repo = newRepo();
    repo.write(".git/hooks/pre-commit", `#!/bin/sh\n${HOOK_MARKER} (v0)\nnpm run secrets:scan\n`);
    const result = await installPreCommitHook({ cwd: repo.root });
    expect(result.action).toBe("updated");
    expect(readFileSync(result.path, "utf8")).toBe(HOOK_SCRIPT);
  });

  it("refuses to overwrite a foreign hook without force, saying what it found; with force keeps a backup", async () => {
    const repo = newRepo();
    const foreign = "#!/bin/sh\n# lint-staged\nnpx lint-staged\n";
    repo.write(".git/hooks/pre-commit", foreign);
    const path = join(repo.root, ".git", "hooks", "pre-commit");
    await expect(installPreCommitHook({ cwd: repo.root })).rejects.toMatchObject({
      code: "hook-conflict",
      message: expect.stringContaining(
        `A pre-commit hook that this installer did not write is already at ${path} (it starts: #!/bin/sh | # lint-staged | npx lint-staged)`,
      ),
    });
    expect(readFileSync(path, "utf8")).toBe(foreign);
    const forced = await installPreCommitHook({ cwd: repo.root, force: true });
    expect(forced).toEqual({ path, action: "replaced", backup: `${path}.backup` });
    expect(readFileSync(`${path}.backup`, "utf8")).toBe(foreign);
    expect(readFileSync(path, "utf8")).toBe(HOOK_SCRIPT);
  });

  it("installs where core.hooksPath points, creating the directory", async () => {
    const repo = newRepo();
    repo.git("config", "core.hooksPath", ".githooks");
    const result = await installPreCommitHook({ cwd: repo.root });
    expect(result.path).toBe(join(repo.root, ".githooks", "pre-commit"));
    expect(existsSync(join(repo.root, ".git", "hooks", "pre-commit"))).toBe(false);
  });

  it("is run by git commit, which fails when the scan fails", async () => {
    const repo = newRepo();
    // Stand-in for the project's `secrets:scan` script: records its arguments, exits with a chosen code.
    repo.write(
      "package.json",
      JSON.stringify({ name: "t", private: true, scripts: { "secrets:scan": "node record.js" } }),
    );
    repo.write(
      "record.js",
      "require('fs').writeFileSync('args.json', JSON.stringify(process.argv.slice(2)));\nprocess.exit(Number(process.env.SCAN_EXIT || 0));\n",
    );
    repo.write(".gitignore", "args.json\n");
    await installPreCommitHook({ cwd: repo.root });
    repo.git("add", "-A");
    const refused = spawnSync("git", ["commit", "-q", "-m", "x"], {
      cwd: repo.root,
      env: { ...process.env, SCAN_EXIT: "1" },
      encoding: "utf8",
    });
    expect(refused.status).not.toBe(0);
    expect(JSON.parse(readFileSync(join(repo.root, "args.json"), "utf8"))).toEqual(["--staged"]);
    expect(() => repo.git("rev-parse", "--verify", "HEAD")).toThrow();
    execFileSync("git", ["commit", "-q", "-m", "x"], {
      cwd: repo.root,
      env: { ...process.env, SCAN_EXIT: "0" },
    });
    expect(repo.git("rev-parse", "--verify", "HEAD")).toMatch(/^[0-9a-f]{40}$/);
  });
});
