import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { reportFindings, scanSecrets } from "../../../infra/secrets-scan";
import { fakeSecrets } from "../../support/fake-secrets";
import { TestRepo } from "./git-repo";

const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.dispose()));

function repoWithLeaks() {
  const s = fakeSecrets();
  const repo = TestRepo.create();
  repos.push(repo);
  repo.write(
    "test/fixtures/db.ts",
    `export const url = "postgres://app:${s.databasePassword}@localhost:5432/app";\n`,
  );
  repo.write("src/deploy.ts", `const token = "${s.vercelToken}";\n`);
  repo.commit("init");
  return { repo, s };
}

describe("allowlist", () => {
  it("suppresses findings by rule + path glob and by fingerprint, each with its reason", async () => {
    const { repo } = repoWithLeaks();
    const first = await scanSecrets({ cwd: repo.root, sources: ["worktree", "history"] });
    expect(first.findings).toHaveLength(4); // two files, working tree and history
    const vercel = first.findings.find((f) => f.id === "disallow-vercel-token");
    repo.write(
      ".secrets-allowlist.yaml",
      [
        "allow:",
        "  - rule: disallow-database-connection-string",
        "    path: test/fixtures/**",
        "    reason: Fake credentials of the throwaway test database.",
        `  - fingerprint: ${vercel?.fingerprint}`,
        "    reason: Revoked on 2026-11-02 (INC-42).",
        "",
      ].join("\n"),
    );
    const report = await scanSecrets({ cwd: repo.root, sources: ["worktree", "history"] });
    expect(report.findings).toEqual([]);
    expect(report.allowlistFile).toBe(join(repo.root, ".secrets-allowlist.yaml"));
    expect(
      report.suppressed
        .map((s) => [s.finding.location.source, s.finding.id, s.entry.reason])
        .sort(),
    ).toEqual([
      [
        "history",
        "disallow-database-connection-string",
        "Fake credentials of the throwaway test database.",
      ],
      ["history", "disallow-vercel-token", "Revoked on 2026-11-02 (INC-42)."],
      [
        "worktree",
        "disallow-database-connection-string",
        "Fake credentials of the throwaway test database.",
      ],
      ["worktree", "disallow-vercel-token", "Revoked on 2026-11-02 (INC-42)."],
    ]);
    expect(report.unusedAllowlistEntries).toEqual([]);
  });

  it("refuses an entry without a reason, before scanning, naming the entry", async () => {
    const { repo } = repoWithLeaks();
    repo.write(
      ".secrets-allowlist.yaml",
      "allow:\n  - rule: disallow-vercel-token\n    path: src/**\n",
    );
    await expect(scanSecrets({ cwd: repo.root, sources: ["worktree"] })).rejects.toMatchObject({
      code: "allowlist-invalid",
      message: expect.stringContaining(
        ".secrets-allowlist.yaml: entry 1 (line 2: rule disallow-vercel-token, path src/**) has no reason",
      ),
    });
  });

  it("reports unused entries, as findings only after a complete scan", async () => {
    const { repo } = repoWithLeaks();
    repo.write(
      ".secrets-allowlist.yaml",
      "allow:\n  - rule: disallow-github-token\n    path: docs/**\n    reason: Old docs example, revoked.\n",
    );
    const full = await scanSecrets({ cwd: repo.root, sources: ["worktree", "history"] });
    expect(full.unusedAllowlistEntries.map((e) => e.index)).toEqual([1]);
    const stale = reportFindings(full).filter((f) => f.id === "remove-unused-allowlist-entry");
    expect(stale).toEqual([
      expect.objectContaining({
        severity: "low",
        subject:
          ".secrets-allowlist.yaml entry 1 (line 2: rule disallow-github-token, path docs/**)",
      }),
    ]);
    const partial = await scanSecrets({ cwd: repo.root, sources: ["worktree"] });
    expect(partial.unusedAllowlistEntries).toHaveLength(1);
    expect(reportFindings(partial).some((f) => f.id === "remove-unused-allowlist-entry")).toBe(
      false,
    );
  });

  it("fails clearly when the allowlist exists but cannot be read", async () => {
    const { repo } = repoWithLeaks();
    mkdirSync(join(repo.root, ".secrets-allowlist.yaml"));
    await expect(scanSecrets({ cwd: repo.root, sources: ["worktree"] })).rejects.toMatchObject({
      code: "allowlist-unreadable",
      message: expect.stringMatching(
        /^Cannot read the allowlist .*\.secrets-allowlist\.yaml: EISDIR/,
      ),
    });
  });
});
