/** The GFS planner, pure, with a fixed clock. */
import { describe, expect, it } from "vitest";
import { isoWeek, planRetention, type RetentionPolicy } from "../../../infra/backups/retention";
import { backupId, timeOfId } from "../../../infra/backups/manifest";

const NOW = new Date("2026-03-15T12:00:00Z");
const POLICY: RetentionPolicy = { daily: 7, weekly: 4, monthly: 3, incompleteGraceHours: 24 };

/** One complete backup a day at 03:17 for `days` days before NOW (newest first). */
function daily(days: number, hour = 3) {
  return Array.from({ length: days }, (_, i) => {
    const at = new Date(Date.UTC(2026, 2, 15 - i, hour, 17));
    const id = backupId(at, (i % 4096).toString(16).padStart(6, "0"));
    return { id, startedAt: timeOfId(id), complete: true };
  });
}

const kept = (d: ReturnType<typeof planRetention>) =>
  d.filter((x) => x.action === "keep").map((x) => x.id);

describe("ISO weeks", () => {
  it.each([
    ["2026-01-01", "2026-W01"],
    ["2025-12-29", "2026-W01"],
    ["2027-01-03", "2026-W53"],
    ["2026-03-15", "2026-W11"],
    ["2026-03-16", "2026-W12"],
  ])("%s is %s", (day, week) => expect(isoWeek(new Date(`${day}T12:00:00Z`))).toBe(week));
});

describe("planRetention", () => {
  it("keeps the newest of each of the last 7 days, 4 weeks and 3 months, and deletes the rest", () => {
    const backups = daily(120);
    const decisions = planRetention(backups, POLICY, { now: NOW });
    const keep = kept(decisions);
    // 7 days; weeks W11..W08 add 3 (W11's newest is today's); months Mar, Feb, Jan add 2.
    expect(keep).toHaveLength(7 + 3 + 2);
    expect(keep.slice(0, 7)).toEqual(backups.slice(0, 7).map((b) => b.id));
    expect(decisions.find((d) => d.id === backups[0]!.id)!.reasons).toEqual(
      expect.arrayContaining([
        "daily 2026-03-15",
        "weekly 2026-W11",
        "monthly 2026-03",
        "newest complete backup",
      ]),
    );
    expect(decisions.filter((d) => d.action === "delete")).toHaveLength(120 - 12);
  });

  it("keeps only the newest backup of a day with several", () => {
    const backups = [...daily(2, 9), ...daily(2, 3)];
    const keep = kept(planRetention(backups, { ...POLICY, weekly: 0, monthly: 0 }, { now: NOW }));
    expect(keep.map((id) => timeOfId(id).getUTCHours())).toEqual([9, 9]);
  });

  it("never deletes the newest complete backup, even with every count at 0", () => {
    const backups = daily(5);
    const decisions = planRetention(
      backups,
      { daily: 0, weekly: 0, monthly: 0, incompleteGraceHours: 1 },
      { now: NOW },
    );
    expect(kept(decisions)).toEqual([backups[0]!.id]);
  });

  it("keeps the backup latest.json points to, and ignores incomplete ones when choosing the newest", () => {
    const backups = daily(30);
    const failed = {
      id: backupId(new Date("2026-03-15T11:00:00Z"), "ffffff"),
      complete: false,
      startedAt: new Date("2026-03-15T11:00:00Z"),
    };
    const decisions = planRetention(
      [failed, ...backups],
      { ...POLICY, daily: 1, weekly: 0, monthly: 0 },
      { now: NOW, latestId: backups[20]!.id },
    );
    expect(kept(decisions)).toEqual([failed.id, backups[0]!.id, backups[20]!.id]);
    expect(decisions.find((d) => d.id === failed.id)!.reasons).toEqual([
      "incomplete but recent: may still be running",
    ]);
  });

  it("deletes failed attempts older than the grace period", () => {
    const old = {
      id: backupId(new Date("2026-03-10T03:00:00Z"), "aaaaaa"),
      complete: false,
      startedAt: new Date("2026-03-10T03:00:00Z"),
    };
    const decision = planRetention([old, ...daily(1)], POLICY, { now: NOW }).find(
      (d) => d.id === old.id,
    )!;
    expect(decision).toEqual({
      id: old.id,
      action: "delete",
      reasons: ["failed attempt (no manifest)"],
    });
  });
});
