/**
 * `secrets:scan` and `secrets:hook` as commands, on real temporary git
 * repositories: a secret in an old commit (since removed), one in the
 * working tree, one staged, and a clean repository; exit codes, the --json
 * envelope, the human output, SARIF, the allowlist, bad input. And this
 * repository itself, which must pass.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Finding } from "../../../infra/lib/findings";
import { REPO_ROOT } from "../../../infra/lib/paths";
import { secretsHook } from "../../../scripts/secrets-hook";
import { secretsScan } from "../../../scripts/secrets-scan";
import { allValues, fakeSecrets, type FakeSecrets } from "../../support/fake-secrets";
import { runScript } from "../checks/helpers";
import { repoFactory, type TestRepo } from "../secrets-scan/git-repo";

const newRepo = repoFactory();

interface ScanEnvelope {
  command: string;
  ok: boolean;
  exitCode: number;
  summary: Record<string, number>;
  findings: (Finding & { masked?: string; location?: { source: string; commit?: string } })[];
  report: { sources: string[]; suppressed: unknown[]; complete: boolean };
  error?: string;
}

const scan = (argv: string[], cwd?: string) =>
  runScript(secretsScan, argv, { deps: cwd ? { cwd } : {} });

function expectNoValues(s: FakeSecrets, ...outputs: string[]) {
  for (const value of allValues(s)) for (const out of outputs) expect(out).not.toContain(value);
}

/** An old commit with a token (removed again), a leak in the working tree, and a staged one. */
function leakyRepo(s: FakeSecrets): { repo: TestRepo; leakCommit: string; cleanCommit: string } {
  const repo = newRepo();
  repo.write("README.md", "# app\n").commit("init", "2026-01-01T00:00:00+00:00");
  const leakCommit = repo
    .write("config/ci.env", `GITHUB_TOKEN=${s.githubToken}\n`)
    .commit("add ci config", "2026-01-02T00:00:00+00:00");
  const cleanCommit = repo
    .write("config/ci.env", "GITHUB_TOKEN=${GITHUB_TOKEN}\n")
    .commit("read the token from the environment", "2026-01-03T00:00:00+00:00");
  return { repo, leakCommit, cleanCommit };
}

describe("secrets:scan", () => {
  it("a clean repository passes (exit 0)", async () => {
    const repo = newRepo();
    repo
      .write("src/app.ts", "export const port = Number(process.env.PORT ?? 3000);\n")
      .commit("init");
    const result = await scan(["--repo", repo.root]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Secret scan: .+ \(1 file\(s\) and 1 commit\(s\), /);
    expect(result.stdout).toContain("Result: ALL GOOD (exit 0)");
  });

  it("finds a token that lives only in history (exit 1), naming the commit, masked", async () => {
    const s = fakeSecrets();
    const { repo, leakCommit } = leakyRepo(s);
    const result = await scan(["--repo", repo.root, "--json"]);
    expect(result.code).toBe(1);
    const envelope = JSON.parse(result.stdout) as ScanEnvelope;
    expect(envelope).toMatchObject({ command: "secrets:scan", ok: false, exitCode: 1 });
    expect(envelope.report.sources).toEqual(["worktree", "history"]);
    expect(envelope.findings).toHaveLength(1);
    const [f] = envelope.findings;
    expect(f).toMatchObject({ id: "disallow-github-token", severity: "critical" });
    expect(f!.location).toMatchObject({ source: "history", commit: leakCommit });
    expect(f!.masked).toMatch(/^ghp_\*+ \(40 chars\)$/);
    expect(f!.fix).toContain("git filter-repo");
    expectNoValues(s, result.stdout, result.stderr);
  });

  it("prints the finding for a human: where, masked, and how to rotate", async () => {
    const s = fakeSecrets();
    const { repo, leakCommit } = leakyRepo(s);
    const result = await scan(["--repo", repo.root]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("CRITICAL  ");
    expect(result.stdout).toContain(`config/ci.env:1 in commit ${leakCommit.slice(0, 12)}`);
    expect(result.stdout).toContain("fix: Rotate the");
    expect(result.stdout).toContain("Result: PROBLEMS FOUND (exit 1)");
    expectNoValues(s, result.stdout, result.stderr);
  });

  it("--since leaves out the commits before the ref", async () => {
    const s = fakeSecrets();
    const { repo, leakCommit, cleanCommit } = leakyRepo(s);
    expect((await scan(["--repo", repo.root, "--since", leakCommit])).code).toBe(0);
    expect((await scan(["--repo", repo.root, "--since", `${leakCommit}~1`])).code).toBe(1);
    expect((await scan(["--repo", repo.root, "--since", cleanCommit, "--json"])).code).toBe(0);
  });

  it("finds a secret in the working tree, and --worktree-only skips the history", async () => {
    const s = fakeSecrets();
    const { repo } = leakyRepo(s);
    repo.write(".env.production", `SUPABASE_SERVICE_ROLE_KEY=${s.serviceRoleJwt}\n`);
    const result = await scan(["--repo", repo.root, "--worktree-only", "--json"]);
    expect(result.code).toBe(1);
    const envelope = JSON.parse(result.stdout) as ScanEnvelope;
    expect(envelope.findings.map((f) => [f.id, f.subject])).toEqual([
      ["disallow-supabase-service-role-jwt", ".env.production:1"],
    ]);
    expectNoValues(s, result.stdout, result.stderr);
  });

  it("--staged reads only what the commit would record", async () => {
    const s = fakeSecrets();
    const repo = newRepo();
    repo.write("README.md", "# app\n").commit("init");
    repo.write("deploy.env", `SUPABASE_SECRET_KEY=${s.supabaseSecretKey}\n`);
    repo.write("notes.txt", `VERCEL_TOKEN=${s.vercelToken}\n`);
    expect((await scan(["--repo", repo.root, "--staged"])).code).toBe(0);
    repo.git("add", "deploy.env");
    const result = await scan(["--staged"], repo.root);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("deploy.env:1 (staged)");
    expect(result.stdout).toContain("git restore --staged deploy.env");
    expect(result.stdout).not.toContain("notes.txt");
    expectNoValues(s, result.stdout, result.stderr);
  });

  it("writes SARIF for code scanning, masked, with allowlisted findings as suppressions", async () => {
    const s = fakeSecrets();
    const { repo } = leakyRepo(s);
    repo.write(".env.local", `AWS_ACCESS_KEY_ID=${s.awsAccessKeyId}\n`);
    repo.write(
      ".secrets-allowlist.yaml",
      [
        "allow:",
        "  - rule: disallow-aws-credential",
        "    path: .env.local",
        "    reason: A revoked key kept as a fixture for the incident write-up.",
        "",
      ].join("\n"),
    );
    const sarifFile = join(repo.root, "out", "scan.sarif");
    const result = await scan(["--repo", repo.root, "--sarif", "out/scan.sarif"], repo.root);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("1 finding(s) kept by the allowlist (.secrets-allowlist.yaml)");
    expect(result.stdout).toContain("(SARIF for GitHub code scanning written to out/scan.sarif)");
    const text = readFileSync(sarifFile, "utf8");
    const sarif = JSON.parse(text) as {
      version: string;
      runs: { results: { ruleId: string; suppressions?: { justification: string }[] }[] }[];
    };
    expect(sarif.version).toBe("2.1.0");
    const results = sarif.runs[0]!.results;
    expect(results.map((r) => [r.ruleId, r.suppressions !== undefined])).toEqual([
      ["disallow-github-token", false],
      ["disallow-aws-credential", true],
    ]);
    expect(results[1]!.suppressions![0]!.justification).toContain(
      "A revoked key kept as a fixture",
    );
    expectNoValues(s, text, result.stdout);
  });

  it("an allowlist entry without a reason is refused (exit 2), naming the file and the fix", async () => {
    const repo = newRepo();
    repo
      .write(
        ".secrets-allowlist.yaml",
        "allow:\n  - rule: disallow-github-token\n    path: a.env\n",
      )
      .commit("init");
    const result = await scan(["--repo", repo.root, "--json"]);
    expect(result.code).toBe(2);
    const envelope = JSON.parse(result.stdout) as ScanEnvelope;
    expect(envelope.error).toContain(
      ".secrets-allowlist.yaml: entry 1 (line 2: rule disallow-github-token, path a.env) has no reason",
    );
  });

  it("bad input is a clear error with exit 2: not a repository, an unknown ref, conflicting flags, an unknown flag", async () => {
    const notRepo = join(newRepo().root, "..", `not-a-repo-${process.pid}`);
    mkdirSync(notRepo, { recursive: true });
    const outside = await scan(["--repo", notRepo]);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/not .*git repository/i);
    expect(outside.stderr).toContain("USAGE runbooks secrets:scan");
    const repo = newRepo();
    repo.write("a", "a\n").commit("init");
    const ref = await scan(["--repo", repo.root, "--since", "no-such-branch"]);
    expect(ref.code).toBe(2);
    expect(ref.stderr).toContain("no-such-branch");
    const both = await scan(["--repo", repo.root, "--staged", "--since", "HEAD"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--staged scans the index alone");
    const flag = await scan(["--database-url", "postgres://x"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("secrets:scan does not take --database-url");
  });

  it("passes on this repository: every fake credential in its tests is allowlisted with a reason", async () => {
    const result = await scan(["--repo", REPO_ROOT, "--json"]);
    const envelope = JSON.parse(result.stdout) as ScanEnvelope;
    expect(envelope.findings.filter((f) => f.severity !== "info" && f.severity !== "low")).toEqual(
      [],
    );
    expect(result.code).toBe(0);
    expect(envelope.report.suppressed.length).toBeGreaterThan(0);
  }, 120_000);
});

describe("secrets:hook", () => {
  it("installs the pre-commit hook, then leaves it as it is", async () => {
    const repo = newRepo();
    const first = await runScript(secretsHook, ["--repo", repo.root, "--json"]);
    expect(first.code).toBe(0);
    const envelope = JSON.parse(first.stdout) as { report: { path: string; action: string } };
    expect(envelope.report.action).toBe("installed");
    const hook = join(repo.root, ".git", "hooks", "pre-commit");
    expect(envelope.report.path).toBe(hook);
    expect(readFileSync(hook, "utf8")).toContain("npm run --silent secrets:scan -- --staged");
    const again = await runScript(secretsHook, ["--repo", repo.root]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("pre-commit hook already installed, unchanged");
  });

  it("refuses to replace a hook it did not write (exit 2) unless --force, then keeps it as a backup", async () => {
    const repo = newRepo();
    const hook = join(repo.root, ".git", "hooks", "pre-commit");
    mkdirSync(join(repo.root, ".git", "hooks"), { recursive: true });
    writeFileSync(hook, "#!/bin/sh\nexec lint-staged\n");
    chmodSync(hook, 0o755);
    const refused = await runScript(secretsHook, ["--repo", repo.root]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("npm run secrets:hook -- --force");
    expect(readFileSync(hook, "utf8")).toContain("lint-staged");
    const forced = await runScript(secretsHook, ["--repo", repo.root, "--force"]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("replacing a hook this command did not write");
    expect(forced.stdout).toContain(`the previous hook is kept at ${hook}.backup`);
    expect(readFileSync(`${hook}.backup`, "utf8")).toContain("lint-staged");
    expect(existsSync(hook)).toBe(true);
  });

  it("says what is wrong outside a repository (exit 2)", async () => {
    const dir = join(newRepo().root, "..", `no-repo-hook-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const result = await runScript(secretsHook, ["--repo", dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not .*git repository/i);
  });
});
