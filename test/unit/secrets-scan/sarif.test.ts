import { describe, expect, it } from "vitest";
import { detectSecrets } from "../../../infra/secrets-scan/detect";
import { SARIF_SCHEMA, toSarif } from "../../../infra/secrets-scan/sarif";
import { toSecretFinding } from "../../../infra/secrets-scan/secret-finding";
import type { SecretScanReport } from "../../../infra/secrets-scan/types";
import { allValues, fakeSecrets, leakyConfig } from "../../support/fake-secrets";
import { sarifValidator } from "../../support/sarif-schema";

async function report(): Promise<{ report: SecretScanReport; values: string[] }> {
  const secrets = fakeSecrets();
  const detections = await detectSecrets(leakyConfig(secrets), "deploy/app.env");
  const findings = detections.map((d, i) =>
    toSecretFinding(d, {
      source: i % 2 ? "history" : "worktree",
      path: "deploy/app.env",
      line: d.line,
      column: d.column,
      ...(i % 2 ? { commit: "e".repeat(40), authorDate: "2026-01-02T03:04:05+00:00" } : {}),
    }),
  );
  const [suppressed, ...kept] = findings;
  if (!suppressed) throw new Error("no findings");
  return {
    values: allValues(secrets),
    report: {
      root: "/work/repo with space",
      sources: ["worktree", "history"],
      allowlistFile: "/work/repo with space/.secrets-allowlist.yaml",
      findings: kept,
      suppressed: [
        {
          finding: suppressed,
          entry: {
            index: 1,
            line: 2,
            fingerprint: suppressed.fingerprint,
            reason: "Revoked 2026-11-02.",
          },
        },
      ],
      unusedAllowlistEntries: [],
      complete: true,
      notes: [{ kind: "binary", path: "logo.png", message: "Skipped logo.png: binary content." }],
      stats: {
        filesScanned: 1,
        commitsScanned: 1,
        patchesScanned: 1,
        bytesScanned: 1,
        durationMs: 1,
      },
    },
  };
}

describe("toSarif", () => {
  it("produces a log that validates against the SARIF 2.1.0 schema", async () => {
    const validate = sarifValidator();
    const log = toSarif((await report()).report);
    const ok = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it("the validator does reject a malformed log (so the check above can fail)", async () => {
    const validate = sarifValidator();
    expect(validate({ version: "2.1.0", runs: [{ tool: {} }] })).toBe(false);
    expect(validate({ version: "2.0.0", runs: [] })).toBe(false);
    const log = toSarif((await report()).report);
    const result = log.runs[0]?.results?.[0] as unknown as Record<string, unknown>;
    result.level = "critical"; // our severity word, not a SARIF level
    expect(validate(log)).toBe(false);
  });

  it("has what GitHub code scanning reads: rules with security-severity, locations, fingerprints", async () => {
    const { report: r } = await report();
    const log = toSarif(r);
    expect(log.$schema).toBe(SARIF_SCHEMA);
    const run = log.runs[0];
    const rules = run?.tool.driver.rules ?? [];
    const results = run?.results ?? [];
    expect(results).toHaveLength(r.findings.length + r.suppressed.length);
    for (const result of results) {
      const rule = rules[result.ruleIndex ?? -1];
      expect(rule?.id).toBe(result.ruleId);
      expect(Number(rule?.properties?.["security-severity"])).toBeGreaterThan(0);
      const location = result.locations?.[0]?.physicalLocation;
      expect(location?.artifactLocation?.uri).toBe("deploy/app.env");
      expect(location?.region?.startLine).toBeGreaterThanOrEqual(1);
      expect(result.partialFingerprints?.["secretFingerprint/v1"]).toMatch(/^[0-9a-f]{16}$/);
    }
    const history = results.find((x) => x.properties?.source === "history");
    expect(history?.properties).toMatchObject({
      commit: "e".repeat(40),
      authorDate: "2026-01-02T03:04:05+00:00",
    });
    const suppressed = results.filter((x) => x.suppressions?.length);
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0]?.suppressions?.[0]).toMatchObject({
      kind: "external",
      justification: "Revoked 2026-11-02. (allowlist entry 1, line 2)",
    });
    expect(run?.originalUriBaseIds?.["%SRCROOT%"]?.uri).toBe("file:///work/repo%20with%20space/");
  });

  it("carries no secret value, only masked forms", async () => {
    const { report: r, values } = await report();
    const text = JSON.stringify(toSarif(r));
    for (const value of values) expect(text).not.toContain(value);
    expect(text).toContain("********");
  });
});
