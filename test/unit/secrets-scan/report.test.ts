import { describe, expect, it } from "vitest";
import { hasLeaks, reportFindings } from "../../../infra/secrets-scan/report";
import type { SecretScanReport } from "../../../infra/secrets-scan/types";

const base: SecretScanReport = {
  root: "/repo",
  sources: ["worktree", "history"],
  allowlistFile: "/repo/.secrets-allowlist.yaml",
  findings: [],
  suppressed: [],
  unusedAllowlistEntries: [{ index: 2, line: 5, fingerprint: "0123456789abcdef", reason: "r" }],
  complete: false,
  notes: [
    { kind: "shallow-history", message: "shallow" },
    {
      kind: "binary",
      path: "a.png",
      commit: "f".repeat(40),
      message: "Skipped a.png: binary content.",
    },
    { kind: "unreadable", path: "b.txt", message: "Could not read b.txt" },
  ],
  stats: { filesScanned: 0, commitsScanned: 0, patchesScanned: 0, bytesScanned: 0, durationMs: 0 },
};

describe("reportFindings", () => {
  it("turns notes into findings: an incomplete history is medium, a skipped binary is info", () => {
    expect(reportFindings(base).map((f) => [f.id, f.severity, f.subject])).toEqual([
      ["fetch-full-history", "medium", "git history"],
      ["skip-binary-file", "info", `a.png @ ${"f".repeat(12)}`],
      ["read-file", "medium", "b.txt"],
    ]);
  });

  it("marks every note as not checked, so a skipped part never passes as clean", () => {
    expect(reportFindings(base).map((f) => f.couldNotCheck)).toEqual([true, true, true]);
  });

  it("adds stale allowlist entries only after a complete scan", () => {
    const complete = reportFindings({ ...base, notes: [], complete: true });
    expect(complete).toEqual([
      expect.objectContaining({
        id: "remove-unused-allowlist-entry",
        subject: ".secrets-allowlist.yaml entry 2 (line 5: fingerprint 0123456789abcdef)",
      }),
    ]);
  });
});

describe("hasLeaks", () => {
  it("is false for notes and stale entries alone", () => {
    expect(hasLeaks({ ...base, complete: true })).toBe(false);
  });
});
