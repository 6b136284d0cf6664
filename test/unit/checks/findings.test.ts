import { describe, expect, it } from "vitest";
import {
  countBySeverity,
  formatBytes,
  formatCount,
  formatDuration,
  hasProblem,
  renderFindings,
  renderVerdict,
  reportJson,
  sortFindings,
  type Finding,
} from "../../../infra/checks/findings";

const f = (
  check: string,
  severity: Finding["severity"],
  extra: Partial<Finding> = {},
): Finding => ({
  check,
  severity,
  summary: `${check} summary`,
  details: [],
  ...extra,
});

describe("findings", () => {
  it("counts a warning or critical as a problem, info as not", () => {
    expect(hasProblem([f("a", "info"), f("b", "info")])).toBe(false);
    expect(hasProblem([f("a", "info"), f("b", "warning")])).toBe(true);
    expect(hasProblem([f("a", "critical")])).toBe(true);
  });

  it("sorts most severe first and keeps the check order within a severity", () => {
    const sorted = sortFindings([
      f("z", "info"),
      f("b", "warning"),
      f("a", "info"),
      f("c", "critical"),
    ]);
    expect(sorted.map((x) => x.check)).toEqual(["c", "b", "z", "a"]);
  });

  it("renders details and the fix under the summary, and marks skipped checks", () => {
    const lines = renderFindings([
      f("locks", "critical", { details: ["pid 1 blocked"], fix: "terminate pid 2" }),
      f("backup", "info", { skipped: true }),
    ]);
    expect(lines).toEqual([
      "CRITICAL  locks summary",
      "          pid 1 blocked",
      "          fix: terminate pid 2",
      "skipped   backup summary",
    ]);
  });

  it("ends with counts and the exit code they mean", () => {
    expect(countBySeverity([f("a", "warning"), f("b", "warning"), f("c", "info")])).toEqual({
      info: 1,
      warning: 2,
      critical: 0,
    });
    expect(renderVerdict([f("a", "warning")])).toBe(
      "Result: 0 critical, 1 warning — problems found (exit 1)",
    );
    expect(renderVerdict([f("a", "info")])).toBe(
      "Result: 0 critical, 0 warnings — all good (exit 0)",
    );
  });
});

describe("formatting", () => {
  it("formats durations in at most two units", () => {
    expect(formatDuration(0)).toBe("0 s");
    expect(formatDuration(59.6)).toBe("1 min");
    expect(formatDuration(95)).toBe("1 min 35 s");
    expect(formatDuration(3600)).toBe("1 h");
    expect(formatDuration(3 * 86400 + 4 * 3600 + 59)).toBe("3 d 4 h");
  });

  it("formats bytes like pg_size_pretty", () => {
    expect(formatBytes(512)).toBe("512 bytes");
    expect(formatBytes(8192)).toBe("8.0 kB");
    expect(formatBytes(150 * 1024 * 1024)).toBe("150 MB");
  });

  it("groups thousands without the machine's locale", () => {
    expect(formatCount(1234567.4)).toBe("1,234,567");
    expect(formatCount(999)).toBe("999");
  });
});

describe("reportJson", () => {
  const report = (findings: Finding[]) => ({
    target: "127.0.0.1:5432/app",
    thresholds: { longQuerySeconds: 300 },
    snapshot: { server: "15" },
    findings,
  });

  it("puts the verdict and exit code first and keeps the whole report", () => {
    const json = reportJson(report([f("locks", "critical")]), 1);
    expect(Object.keys(JSON.parse(json)).slice(0, 2)).toEqual(["ok", "exitCode"]);
    expect(JSON.parse(json)).toEqual({
      ok: false,
      exitCode: 1,
      ...report([f("locks", "critical")]),
    });
  });

  it("is ok when every finding is info", () => {
    expect(JSON.parse(reportJson(report([f("connections", "info")]), 0))).toMatchObject({
      ok: true,
      exitCode: 0,
    });
  });
});
