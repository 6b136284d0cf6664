import { describe, expect, it } from "vitest";
import { scanSecrets } from "../../../infra/secrets-scan";
import { fakeSecrets } from "../../support/fake-secrets";
import { repoFactory } from "./git-repo";

const newRepo = repoFactory();

describe("history scan", () => {
  it("finds a secret committed in an old commit and removed since, with commit, author date and line", async () => {
    const secrets = fakeSecrets();
    const repo = newRepo();
    repo.write("README.md", "# app\n").commit("init", "2026-01-01T00:00:00+00:00");
    repo.write(
      "config/app.ts",
      `export const a = 1;\nexport const b = 2;\nconst key = "${secrets.supabaseSecretKey}";\n`,
    );
    const leak = repo.commit("add config", "2026-02-03T04:05:06+00:00");
    repo.write(
      "config/app.ts",
      "export const a = 1;\nexport const b = 2;\nconst key = process.env.KEY;\n",
    );
    repo.commit("remove key", "2026-03-01T00:00:00+00:00");
    for (let i = 0; i < 5; i++)
      repo.write("config/app.ts", `export const a = ${i};\n`).commit(`edit ${i}`);

    const worktree = await scanSecrets({ cwd: repo.root, sources: ["worktree"] });
    expect(worktree.findings).toEqual([]);

    const history = await scanSecrets({ cwd: repo.root, sources: ["history"] });
    expect(history.findings).toHaveLength(1);
    expect(history.findings[0]).toMatchObject({
      id: "disallow-supabase-secret-key",
      severity: "critical",
      location: {
        source: "history",
        path: "config/app.ts",
        line: 3,
        commit: leak,
        authorDate: "2026-02-03T04:05:06+00:00",
      },
    });
    expect(history.findings[0]?.subject).toBe(
      `config/app.ts:3 in commit ${leak.slice(0, 12)} (2026-02-03T04:05:06+00:00)`,
    );
    expect(history.stats.commitsScanned).toBe(8);
  });

  it("reports a value once, at the commit that added it, however many commits keep it", async () => {
    const { githubToken } = fakeSecrets();
    const repo = newRepo();
    repo.write("ci.env", `TOKEN=${githubToken}\n`);
    const first = repo.commit("add");
    for (let i = 0; i < 4; i++)
      repo.write("ci.env", `TOKEN=${githubToken}\nN=${i}\n`).commit(`n ${i}`);
    const report = await scanSecrets({ cwd: repo.root, sources: ["history"] });
    expect(report.findings.map((f) => f.location.commit)).toEqual([first]);
  });

  it("with since, scans only commits after the ref, and refuses an unknown ref", async () => {
    const a = fakeSecrets();
    const b = fakeSecrets();
    const repo = newRepo();
    repo.write("old.env", `TOKEN=${a.githubToken}\n`).commit("old leak");
    repo.git("tag", "v1");
    repo.write("new.env", `VERCEL_TOKEN=${b.vercelToken}\n`);
    const newer = repo.commit("new leak");
    const report = await scanSecrets({ cwd: repo.root, sources: ["history"], since: "v1" });
    expect(report.findings.map((f) => [f.id, f.location.path, f.location.commit])).toEqual([
      ["disallow-vercel-token", "new.env", newer],
    ]);
    expect(report.since).toEqual({ ref: "v1", commit: repo.git("rev-parse", "v1") });
    expect(report.complete).toBe(false);
    await expect(
      scanSecrets({ cwd: repo.root, sources: ["history"], since: "v9" }),
    ).rejects.toMatchObject({
      code: "unknown-ref",
      message: expect.stringContaining('Unknown git ref "v9"'),
    });
    await expect(
      scanSecrets({ cwd: repo.root, sources: ["history"], since: "--output=/tmp/x" }),
    ).rejects.toMatchObject({ code: "unknown-ref" });
  });

  it("scans every branch, and lines written while resolving a merge conflict", async () => {
    const s = fakeSecrets();
    const repo = newRepo();
    repo.write("app.txt", "line\n").commit("base");
    repo.git("checkout", "-q", "-b", "feature");
    repo
      .write("feature.env", `TOKEN=${s.githubToken}\n`)
      .write("app.txt", "feature\n")
      .commit("feature");
    repo.git("checkout", "-q", "main");
    repo.write("app.txt", "main\n").commit("main change");
    // An unmerged branch is in the history too.
    repo.git("checkout", "-q", "-b", "side", "main");
    repo.write("side.env", `KEY=${s.supabaseAccessToken}\n`).commit("side");
    repo.git("checkout", "-q", "main");
    try {
      repo.git("merge", "-q", "feature");
    } catch {
      // conflict on app.txt, resolved with a new line that holds a secret
    }
    repo.write("app.txt", `resolved\nurl=postgres://app:${s.databasePassword}@db:5432/app\n`);
    const merge = repo.commit("merge feature");
    const report = await scanSecrets({ cwd: repo.root, sources: ["history"] });
    const found = Object.fromEntries(report.findings.map((f) => [f.location.path, f]));
    expect(Object.keys(found).sort()).toEqual(["app.txt", "feature.env", "side.env"]);
    expect(found["app.txt"]?.location).toMatchObject({ commit: merge, line: 2 });
    // base 1, feature 2, main 1, side 1, merge 1: its feature.env is the branch's blob, read once.
    expect(report.stats.patchesScanned).toBe(6);
  });

  it("reads files that .gitattributes shows as binary, and notes real binaries", async () => {
    const { githubToken } = fakeSecrets();
    const repo = newRepo();
    repo.write(".gitattributes", "*.env -diff\n").write("hidden.env", `TOKEN=${githubToken}\n`);
    repo.write("logo.png", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 3]));
    repo.commit("add");
    const report = await scanSecrets({ cwd: repo.root, sources: ["history"] });
    expect(report.findings.map((f) => [f.id, f.location.path, f.location.line])).toEqual([
      ["disallow-github-token", "hidden.env", 1],
    ]);
    expect(report.notes).toEqual([
      expect.objectContaining({
        kind: "binary",
        path: "logo.png",
        message: expect.stringContaining("binary content"),
      }),
    ]);
  });

  it("skips a change larger than the limit with a note", async () => {
    const repo = newRepo();
    repo.write("dump.sql", "x".repeat(5000) + "\n").commit("big");
    const report = await scanSecrets({ cwd: repo.root, sources: ["history"], maxFileBytes: 1000 });
    expect(report.notes).toEqual([
      expect.objectContaining({
        kind: "too-large",
        path: "dump.sql",
        message: expect.stringMatching(/over the 1000 bytes limit/),
      }),
    ]);
  });

  it("notes a shallow clone, whose older commits cannot be scanned", async () => {
    const repo = newRepo();
    repo.write("a", "1\n").commit("one");
    repo.write("a", "2\n").commit("two");
    const clone = newRepo(repo, "--depth", "1");
    const report = await scanSecrets({ cwd: clone.root, sources: ["history"] });
    expect(report.notes.map((n) => n.kind)).toEqual(["shallow-history"]);
    expect(report.complete).toBe(false);
  });
});
