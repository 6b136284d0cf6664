import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scanSecrets } from "../../../infra/secrets-scan";
import { fakeSecrets } from "../../support/fake-secrets";
import { repoFactory } from "./git-repo";

const newRepo = repoFactory();

describe("working tree scan", () => {
  it("finds secrets in tracked files and in untracked files that are not ignored, but not in ignored ones", async () => {
    const s = fakeSecrets();
    const repo = newRepo();
    repo.write(".gitignore", ".env.local\nnode_modules/\n");
    repo.write(
      "src/config.ts",
      `export const url = "postgres://app:${s.databasePassword}@db:5432/app";\n`,
    );
    repo.commit("init");
    repo.write("notes/new.md", `deploy with\n\n  VERCEL_TOKEN=${s.vercelToken}\n`); // untracked
    repo.write(".env.local", `GITHUB_TOKEN=${s.githubToken}\n`); // ignored: never committed
    repo.write("node_modules/pkg/index.js", `const k = "${s.supabaseSecretKey}";\n`);
    const report = await scanSecrets({ cwd: join(repo.root, "src"), sources: ["worktree"] });
    expect(report.root).toBe(repo.root);
    expect(report.findings.map((f) => [f.id, f.subject])).toEqual([
      ["disallow-vercel-token", "notes/new.md:3"],
      ["disallow-database-connection-string", "src/config.ts:1"],
    ]);
    expect(report.findings[0]?.location).toMatchObject({ source: "worktree", line: 3, column: 16 });
    expect(report.stats.filesScanned).toBe(3);
  });

  it("reports nothing for a clean repository", async () => {
    const repo = newRepo();
    repo.write(
      "README.md",
      "# app\n\nSet `DATABASE_URL=postgres://postgres:<password>@db.<ref>.supabase.co:5432/postgres`.\n",
    );
    repo.write("src/index.ts", "export const greeting = 'hello';\n");
    repo.commit("init");
    const report = await scanSecrets({ cwd: repo.root, sources: ["worktree", "history"] });
    expect(report.findings).toEqual([]);
    expect(report.notes).toEqual([]);
    expect(report.complete).toBe(true);
  });

  it("skips binaries and huge files with a note, and does not follow symlinks out of the repository", async () => {
    const s = fakeSecrets();
    const outside = mkdtempSync(join(tmpdir(), "secrets-scan-outside-"));
    writeFileSync(join(outside, "secret.env"), `GITHUB_TOKEN=${s.githubToken}\n`);
    const repo = newRepo();
    repo.write(
      "img.bin",
      Buffer.concat([Buffer.from(`TOKEN=${s.githubToken}`), Buffer.from([0, 1, 2])]),
    );
    repo.write("big.log", "y".repeat(3000));
    symlinkSync(join(outside, "secret.env"), join(repo.root, "link.env"));
    try {
      const report = await scanSecrets({
        cwd: repo.root,
        sources: ["worktree"],
        maxFileBytes: 2048,
      });
      expect(report.findings).toEqual([]);
      expect(report.notes.map((n) => [n.kind, n.path])).toEqual([
        ["too-large", "big.log"],
        ["binary", "img.bin"],
      ]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it("says clearly when the directory is not a git repository", async () => {
    const dir = mkdtempSync(join(tmpdir(), "secrets-scan-norepo-"));
    try {
      await expect(scanSecrets({ cwd: dir, sources: ["worktree"] })).rejects.toMatchObject({
        code: "not-a-repository",
        message: expect.stringMatching(
          new RegExp(
            `^${dir} is not inside a git repository .*Run the scan from the repository's checkout`,
          ),
        ),
      });
      await expect(
        scanSecrets({ cwd: join(dir, "missing"), sources: ["worktree"] }),
      ).rejects.toMatchObject({
        code: "git-missing",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
