import { describe, expect, it } from "vitest";
import { scanSecrets } from "../../../infra/secrets-scan";
import { fakeSecrets } from "../../support/fake-secrets";
import { repoFactory } from "./git-repo";

const newRepo = repoFactory();

describe("staged scan", () => {
  it("finds a secret in a staged, uncommitted file, reading the index and not the working copy", async () => {
    const s = fakeSecrets();
    const repo = newRepo();
    repo.write("README.md", "# app\n").commit("init");
    repo.write("deploy.env", `A=1\nSUPABASE_SERVICE_ROLE_KEY=${s.serviceRoleJwt}\n`);
    repo.git("add", "deploy.env");
    // Edited after `git add`: the commit would still record the staged version.
    repo.write("deploy.env", "A=1\n");
    // Not staged: the commit would not record it.
    repo.write("scratch.env", `GITHUB_TOKEN=${s.githubToken}\n`);
    const report = await scanSecrets({ cwd: repo.root, sources: ["staged"] });
    expect(report.findings.map((f) => [f.id, f.subject, f.location.source])).toEqual([
      ["disallow-supabase-service-role-jwt", "deploy.env:2 (staged)", "staged"],
    ]);
    expect(report.findings[0]?.fix).toContain("git restore --staged deploy.env");
  });

  it("does not report a secret removed from the index but still on disk", async () => {
    const s = fakeSecrets();
    const repo = newRepo();
    repo.write("a.env", "A=1\n").commit("init");
    repo.write("a.env", `A=1\nTOKEN=${s.githubToken}\n`);
    const before = await scanSecrets({ cwd: repo.root, sources: ["staged"] });
    expect(before.findings).toEqual([]);
    repo.git("add", "a.env");
    const after = await scanSecrets({ cwd: repo.root, sources: ["staged"] });
    expect(after.findings.map((f) => f.subject)).toEqual(["a.env:2 (staged)"]);
    // Already committed files that are not staged again are not rescanned by the hook.
    repo.commit("leak");
    expect((await scanSecrets({ cwd: repo.root, sources: ["staged"] })).findings).toEqual([]);
  });

  it("works before the first commit", async () => {
    const s = fakeSecrets();
    const repo = newRepo();
    repo.write("keys.txt", `${s.privateKey}`);
    repo.git("add", "keys.txt");
    const report = await scanSecrets({ cwd: repo.root, sources: ["staged"] });
    expect(report.findings.map((f) => [f.id, f.location.line])).toEqual([
      ["disallow-private-key", 1],
    ]);
  });

  it("is a scan of its own: it does not combine with the other sources", async () => {
    const repo = newRepo();
    await expect(scanSecrets({ cwd: repo.root, sources: ["staged", "history"] })).rejects.toThrow(
      /`staged` scans the index alone/,
    );
  });
});
