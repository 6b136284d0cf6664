import { describe, expect, it } from "vitest";
import { detectorFor, knownFindingIds } from "../../../infra/secrets-scan/catalog";
import { detectSecrets } from "../../../infra/secrets-scan/detect";
import { toSecretFinding } from "../../../infra/secrets-scan/secret-finding";
import { fakeSecrets, leakyConfig } from "../../support/fake-secrets";

const VERB_FIRST_KEBAB = /^(disallow|remove|skip|fetch|read)-[a-z0-9]+(-[a-z0-9]+)*$/;

async function oneFinding(text: string, source: "worktree" | "staged" | "history") {
  const [detection] = await detectSecrets(text, "config/app.env");
  if (!detection) throw new Error("nothing detected");
  return toSecretFinding(detection, {
    source,
    path: "config/app.env",
    line: 7,
    column: 3,
    ...(source === "history"
      ? { commit: "c".repeat(40), authorDate: "2026-01-02T03:04:05+00:00" }
      : {}),
  });
}

describe("toSecretFinding", () => {
  it("gives a worktree finding its file and line, severity, masked value and a rotate-then-remove fix", async () => {
    const { githubToken } = fakeSecrets();
    const f = await oneFinding(`TOKEN=${githubToken}`, "worktree");
    expect(f).toMatchObject({
      id: "disallow-github-token",
      severity: "critical",
      subject: "config/app.env:7",
      masked: `${githubToken.slice(0, 4)}******** (40 chars)`,
    });
    expect(f.message).toMatch(/is in config\/app\.env at line 7: ghp_\*{8} \(40 chars\)\.$/);
    expect(f.fix).toMatch(/^Rotate the .* first, because it is already exposed/);
    expect(f.fix).toContain("revoke the token (github.com/settings/tokens");
    expect(f.fix).toContain("Then remove it from config/app.env");
    expect(f.fix).toContain(`fingerprint: ${f.fingerprint}`);
    expect(f.details).toContain(`fingerprint: ${f.fingerprint}`);
  });

  it("tells how to purge a history finding and that GitHub may keep it cached", async () => {
    const f = await oneFinding(`KEY=${fakeSecrets().supabaseSecretKey}`, "history");
    expect(f.subject).toBe(
      `config/app.env:7 in commit ${"c".repeat(12)} (2026-01-02T03:04:05+00:00)`,
    );
    expect(f.id).toBe("disallow-supabase-secret-key");
    expect(f.fix).toMatch(/^Rotate the Supabase secret API key first/);
    expect(f.fix).toContain("git filter-repo --replace-text");
    expect(f.fix).toContain("force-push every branch and tag");
    expect(f.fix).toMatch(
      /GitHub can keep the old commits reachable .* until GitHub Support removes them/,
    );
    expect(f.details).toEqual(
      expect.arrayContaining([
        `commit: ${"c".repeat(40)}`,
        "author date: 2026-01-02T03:04:05+00:00",
      ]),
    );
  });

  it("tells a staged finding to unstage the file", async () => {
    const f = await oneFinding(`KEY=${fakeSecrets().vercelToken}`, "staged");
    expect(f.id).toBe("disallow-vercel-token");
    expect(f.fix).toContain("git restore --staged config/app.env");
  });

  it("never carries a value in any text field", async () => {
    const secrets = fakeSecrets();
    for (const detection of await detectSecrets(leakyConfig(secrets), "app.env")) {
      const f = toSecretFinding(detection, {
        source: "worktree",
        path: "app.env",
        line: 1,
        column: 1,
      });
      const text = JSON.stringify(f);
      for (const value of Object.values(secrets)) expect(text).not.toContain(value);
      expect(text).not.toContain(secrets.databasePassword);
    }
  });
});

describe("catalog", () => {
  it("maps every rule to a verb-first kebab-case id on the project scale", () => {
    for (const id of knownFindingIds()) expect(id).toMatch(VERB_FIRST_KEBAB);
  });

  it("rates an AWS access key id alone below its secret, and falls back for rules it does not know", () => {
    expect(detectorFor("@secretlint/secretlint-rule-aws", "AWSAccessKeyID").severity).toBe(
      "medium",
    );
    expect(detectorFor("@secretlint/secretlint-rule-aws", "AWSSecretAccessKey").severity).toBe(
      "critical",
    );
    expect(detectorFor("@secretlint/secretlint-rule-new-vendor", "X")).toMatchObject({
      id: "disallow-new-vendor-secret",
      severity: "high",
    });
  });
});
