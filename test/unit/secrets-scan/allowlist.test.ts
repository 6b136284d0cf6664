import { describe, expect, it } from "vitest";
import { applyAllowlist, parseAllowlist } from "../../../infra/secrets-scan/allowlist";
import { knownFindingIds } from "../../../infra/secrets-scan/catalog";
import { SecretsScanError } from "../../../infra/secrets-scan/errors";
import type { SecretFinding } from "../../../infra/secrets-scan/types";

const FILE = "/repo/.secrets-allowlist.yaml";
const rules = knownFindingIds();
const parse = (text: string) => parseAllowlist(text, FILE, rules);

function finding(id: string, path: string, fingerprint: string): SecretFinding {
  return {
    id,
    severity: "critical",
    subject: `${path}:1`,
    message: "m",
    fix: "f",
    location: { source: "worktree", path, line: 1, column: 1 },
    rule: "r",
    messageId: "M",
    masked: "****",
    fingerprint,
  };
}

function parseError(text: string): SecretsScanError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof SecretsScanError) return error;
    throw error;
  }
  throw new Error("expected the allowlist to be refused");
}

describe("parseAllowlist", () => {
  it("reads entries with their position", () => {
    const list = parse(
      [
        "# fixtures",
        "allow:",
        "  - rule: disallow-database-connection-string",
        "    path: test/**",
        "    reason: Fake credentials of the throwaway test database.",
        "  - fingerprint: 0123456789abcdef",
        "    reason: Revoked 2026-11-02 (INC-42).",
      ].join("\n"),
    );
    expect(list.entries).toEqual([
      {
        index: 1,
        line: 3,
        rule: "disallow-database-connection-string",
        paths: ["test/**"],
        reason: "Fake credentials of the throwaway test database.",
      },
      {
        index: 2,
        line: 6,
        fingerprint: "0123456789abcdef",
        reason: "Revoked 2026-11-02 (INC-42).",
      },
    ]);
  });

  it("accepts an empty file and an empty list", () => {
    expect(parse("").entries).toEqual([]);
    expect(parse("allow: []\n").entries).toEqual([]);
  });

  it("refuses an entry without a reason, naming the entry and its line", () => {
    const error = parseError(
      [
        "allow:",
        "  - fingerprint: 0123456789abcdef",
        "    reason: Revoked.",
        "  - rule: disallow-github-token",
        "    path: docs/**",
      ].join("\n"),
    );
    expect(error.code).toBe("allowlist-invalid");
    expect(error.message).toContain(FILE);
    expect(error.message).toContain(
      "entry 2 (line 4: rule disallow-github-token, path docs/**) has no reason",
    );
  });

  it("refuses a blank reason too", () => {
    expect(
      parseError('allow:\n  - fingerprint: 0123456789abcdef\n    reason: "  "\n').message,
    ).toContain("entry 1 (line 2: fingerprint 0123456789abcdef) has no reason");
  });

  it("refuses entries that carry the secret itself", () => {
    expect(parseError("allow:\n  - value: ghp_x\n    reason: test\n").message).toMatch(
      /never write the secret into the allowlist/,
    );
  });

  it("refuses entries that would match too much, unknown rules, keys and bad fingerprints", () => {
    expect(parseError("allow:\n  - rule: disallow-github-token\n    reason: r\n").message).toMatch(
      /matches too much: give a "fingerprint", or both "rule" and "path"/,
    );
    expect(parseError("allow:\n  - path: '**'\n    reason: r\n").message).toMatch(
      /matches too much/,
    );
    expect(parseError("allow:\n  - rule: github\n    path: a\n    reason: r\n").message).toMatch(
      /rule "github" is not a finding id of this scan; use one of: .*disallow-github-token/,
    );
    expect(parseError("allow:\n  - fingerprint: abc\n    reason: r\n").message).toMatch(
      /16 hex digits/,
    );
    expect(
      parseError("allow:\n  - fingerprint: 0123456789abcdef\n    reason: r\n    until: 2027\n")
        .message,
    ).toMatch(/unknown key "until"/);
    expect(parseError("ignore:\n  - x\n").message).toMatch(/one top-level key, "allow"/);
    expect(parseError("allow: [\n").message).toMatch(/not valid YAML/);
  });
});

describe("applyAllowlist", () => {
  const list = parse(
    [
      "allow:",
      "  - rule: disallow-database-connection-string",
      "    path: [test/**, .github/**]",
      "    reason: Fake credentials for tests.",
      "  - fingerprint: 00000000000000aa",
      "    reason: Revoked.",
      "  - rule: disallow-github-token",
      "    path: docs/**",
      "    reason: Nothing matches this one.",
    ].join("\n"),
  );

  it("suppresses by rule and glob (dot directories included) and by fingerprint, and lists unused entries", () => {
    const kept = finding("disallow-database-connection-string", "src/db.ts", "00000000000000bb");
    const byGlob = finding(
      "disallow-database-connection-string",
      "test/unit/db.test.ts",
      "00000000000000cc",
    );
    const byDotGlob = finding(
      "disallow-database-connection-string",
      ".github/ci.yml",
      "00000000000000dd",
    );
    const byFingerprint = finding("disallow-npm-token", "src/.npmrc", "00000000000000aa");
    const outcome = applyAllowlist([kept, byGlob, byDotGlob, byFingerprint], list);
    expect(outcome.kept).toEqual([kept]);
    expect(outcome.suppressed.map((s) => [s.finding.location.path, s.entry.index])).toEqual([
      ["test/unit/db.test.ts", 1],
      [".github/ci.yml", 1],
      ["src/.npmrc", 2],
    ]);
    expect(outcome.unused.map((e) => e.index)).toEqual([3]);
  });

  it("needs the rule to match, not only the path", () => {
    const other = finding("disallow-github-token", "test/a.ts", "00000000000000ee");
    expect(applyAllowlist([other], list).kept).toEqual([other]);
  });

  it("keeps everything without an allowlist", () => {
    const f = finding("disallow-github-token", "a", "00000000000000ff");
    expect(applyAllowlist([f], null)).toEqual({ kept: [f], suppressed: [], unused: [] });
  });
});
