/**
 * `npm run policy:review` as a fork's pull request runs it: no credentials,
 * the program under mocks, a Markdown report, and the exit code the workflow
 * acts on. Zero mandatory violations for the shipped production stack; the
 * expected ones, grouped by severity, for the broken fixture.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPORT_MARKER } from "../../../policies/review/report";

const ROOT = join(__dirname, "..", "..", "..");
const FIXTURE = "test/fixtures/policies/Pulumi.production-broken.yaml";

function review(...args: string[]) {
  const env = { ...process.env };
  // A fork's pull request has none of these; the review must not need them.
  for (const k of [
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "PULUMI_ACCESS_TOKEN",
    "VERCEL_API_TOKEN",
    "GITHUB_TOKEN",
    "PULUMI_CONFIG",
  ])
    delete env[k];
  const r = spawnSync("npx", ["tsx", "scripts/policy-review.ts", ...args], {
    cwd: ROOT,
    env,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npm run policy:review", () => {
  it.each(["production", "staging", "local"])(
    "passes the shipped %s stack with zero mandatory violations",
    (stack) => {
      const r = review("-s", stack, "--json");
      expect(r.stderr).toBe("");
      const out = JSON.parse(r.stdout) as {
        command: string;
        ok: boolean;
        exitCode: number;
        report: { resources: number };
        findings: { id: string; severity: string; details: string[] }[];
      };
      expect(out.command).toBe("policy:review");
      // Advisory violations are low findings; a mandatory one keeps its severity and fails.
      expect(out.findings.filter((f) => f.details[0]!.startsWith("mandatory"))).toEqual([]);
      expect(out.findings.every((f) => f.severity === "low")).toBe(true);
      expect(out.ok).toBe(true);
      expect(out.report.resources).toBeGreaterThan(5);
      expect(r.code).toBe(0);
    },
  );

  it("reports the broken fixture's mandatory violations, grouped by severity, and exits 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "policy-review-"));
    const out = join(dir, "report.md");
    const r = review("-s", "production", "--config-file", FIXTURE, "--out", out);
    expect(r.code).toBe(1);
    const report = readFileSync(out, "utf8");
    // The report first, then the findings and the verdict every command ends with.
    expect(r.stdout.startsWith(report.trim())).toBe(true);
    expect(r.stdout).toMatch(/problems found \(exit 1\)/i);
    expect(report.startsWith(REPORT_MARKER)).toBe(true);
    expect(report).toContain("❌ **11 mandatory violations**");
    const sections = [...report.matchAll(/^#### (\w+) \((\d+)\)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(sections).toEqual(["Critical 3", "High 7", "Medium 1"]);
    const named = [...report.matchAll(/^- \*\*([a-z-]+)\*\* \((mandatory|advisory)\)/gm)]
      .filter((m) => m[2] === "mandatory")
      .map((m) => m[1]);
    expect([...new Set(named)].sort()).toEqual([
      "disallow-always-true-tenant-policies",
      "disallow-production-secrets-in-preview",
      "enforce-backup-job-schedule-and-retention",
      "enforce-backup-retention",
      "enforce-exact-github-oidc-trust",
      "enforce-rotated-secret-max-age",
      "require-budget-notifications",
      "require-forced-rls-on-tenant-tables",
      "require-frequent-health-check",
      "require-tenant-policies-for-allowed-commands",
    ]);
    // Each entry names its resource, the message and the fix.
    expect(report).toContain(
      "on `aws:iam/role:Role` `backup-oidc-role`\n  - Role 'backup-oidc-role': statement 'GithubActionsOidc' trusts 'repo:acme/acme-app:ref:refs/heads/main'",
    );
    expect(report).toMatch(/\n {2}- Fix: Give the trust policy a StringEquals condition/);
    // The rotation policies read the real RotatedCredential resource's inputs.
    expect(report).toContain(
      "managed secret supabase-secret-key may stay valid for 91 days, over the limit of 90",
    );
    expect(report).toContain(`--config-file ${FIXTURE}\` reproduces this report`);
    // No stand-in secret reaches the report.
    expect(report).not.toContain("policy-review-stand-in");
  });

  it("names what is wrong with its arguments, exit 2", () => {
    const none = review();
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("which stack? pass -s <stack>");
    const missing = review("-s", "nosuch");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no stack 'nosuch': stacks/Pulumi.nosuch.yaml does not exist");
  });
});
