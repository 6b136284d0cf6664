import { describe, expect, it } from "vitest";
import type { Finding } from "../../../infra/lib/findings";
import {
  exitCodeFor,
  labelOf,
  renderFindings,
  renderVerdict,
  sortFindings,
  summarize,
} from "../../../infra/lib/findings-render";

const f = (id: string, severity: Finding["severity"], extra: Partial<Finding> = {}): Finding => ({
  id,
  severity,
  subject: `${id} subject`,
  message: `${id} message`,
  fix: "",
  ...extra,
});

describe("exit policy", () => {
  it("fails on a finding at or above the failing level, and only then", () => {
    expect(exitCodeFor([f("a", "info"), f("b", "low")])).toBe(0);
    expect(exitCodeFor([f("a", "info"), f("b", "medium")])).toBe(1);
    expect(exitCodeFor([f("a", "critical")])).toBe(1);
    expect(exitCodeFor([f("a", "medium")], "high")).toBe(0);
    expect(exitCodeFor([f("a", "high")], "high")).toBe(1);
  });

  it("is 'could not check' (2) when a check at the failing level could not run, unless a problem was found", () => {
    const unknown = f("ext", "medium", { couldNotCheck: true });
    expect(exitCodeFor([unknown, f("ok", "info")])).toBe(2);
    expect(exitCodeFor([unknown, f("bad", "critical")])).toBe(1);
    expect(exitCodeFor([f("skip", "info", { couldNotCheck: true })])).toBe(0);
    expect(exitCodeFor([unknown], "high")).toBe(0);
  });
});

describe("sortFindings", () => {
  it("sorts most severe first and keeps the input order within a severity", () => {
    const sorted = sortFindings([
      f("z", "info"),
      f("b", "medium"),
      f("a", "info"),
      f("c", "critical"),
      f("d", "high"),
      f("e", "low"),
    ]);
    expect(sorted.map((x) => x.id)).toEqual(["c", "d", "b", "e", "z", "a"]);
  });

  it("puts a check that could not run after the ones that ran at the same severity", () => {
    const sorted = sortFindings([f("skip", "info", { couldNotCheck: true }), f("ok", "info")]);
    expect(sorted.map((x) => x.id)).toEqual(["ok", "skip"]);
  });
});

describe("renderFindings", () => {
  it("renders details and the fix under the message, the id and subject of a problem, and marks skipped checks", () => {
    const lines = renderFindings([
      f("locks", "critical", { details: ["pid 1 blocked"], fix: "terminate pid 2" }),
      f("backup", "info", { couldNotCheck: true }),
    ]);
    expect(lines).toEqual([
      "CRITICAL  locks message",
      "          pid 1 blocked",
      "          fix: terminate pid 2",
      "          [locks] locks subject",
      "skipped   backup message",
    ]);
  });

  it("never shows a check that could not run as healthy", () => {
    expect(labelOf(f("x", "info", { couldNotCheck: true }))).toBe("skipped");
    expect(labelOf(f("x", "medium", { couldNotCheck: true }))).toBe("UNKNOWN");
    expect(labelOf(f("x", "high", { couldNotCheck: true }))).toBe("UNKNOWN");
    expect(labelOf(f("x", "info"))).toBe("ok");
    for (const severity of ["critical", "high", "medium", "low", "info"] as const)
      expect(labelOf(f("x", severity, { couldNotCheck: true }))).not.toBe("ok");
  });

  it("with quiet, prints only what fails the command", () => {
    const lines = renderFindings(
      [
        f("bad", "high"),
        f("meh", "medium"),
        f("fine", "info"),
        f("gone", "high", { couldNotCheck: true }),
      ],
      { quiet: true, failOn: "high" },
    );
    expect(lines.filter((l) => !l.startsWith(" "))).toEqual([
      "HIGH      bad message",
      "UNKNOWN   gone message",
    ]);
  });
});

describe("renderVerdict", () => {
  it("ends with the verdict, its exit code and the counts", () => {
    expect(
      summarize([
        f("a", "medium"),
        f("b", "medium"),
        f("c", "info"),
        f("d", "low", { couldNotCheck: true }),
      ]),
    ).toEqual({
      critical: 0,
      high: 0,
      medium: 2,
      low: 0,
      info: 1,
      couldNotCheck: 1,
    });
    expect(renderVerdict([f("a", "medium")])).toBe(
      "Result: PROBLEMS FOUND (exit 1) — 0 critical, 0 high, 1 medium, 0 low, 0 info",
    );
    expect(renderVerdict([f("a", "info")])).toBe(
      "Result: ALL GOOD (exit 0) — 0 critical, 0 high, 0 medium, 0 low, 1 info",
    );
    expect(renderVerdict([f("a", "medium", { couldNotCheck: true })])).toBe(
      "Result: COULD NOT CHECK (exit 2) — 0 critical, 0 high, 0 medium, 0 low, 0 info, 1 not checked",
    );
  });

  it("does not call findings below the failing level 'all good'", () => {
    expect(renderVerdict([f("a", "medium")], "high")).toBe(
      "Result: OK (exit 0): 1 below the failing level (high) — 0 critical, 0 high, 1 medium, 0 low, 0 info",
    );
  });
});
