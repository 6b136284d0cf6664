/** The rotation plan: which action a credential takes, on a fixed clock. */
import { describe, expect, it } from "vitest";
import {
  created,
  decide,
  previousExpired,
  rolledBack,
  rotated,
  RETIRED_KEPT,
  type Slot,
  type Triggers,
} from "../../../infra/rotation/plan";

const t0 = new Date("2030-01-01T00:00:00Z");
const min = (n: number) => new Date(t0.getTime() + n * 60_000);
const days = (n: number) => min(n * 1440);
const slot = (g: number): Slot => ({
  id: `g${g}`,
  generation: g,
  createdAt: t0.toISOString(),
  detail: {},
});
const t: Triggers = { intervalDays: 30, overlapMinutes: 60, epoch: 0, staggerMinutes: 15 };

describe("decide", () => {
  const s1 = created(slot(1), t, t0);

  it("creates the first generation, then does nothing until it is due", () => {
    expect(decide(undefined, t, t0).kind).toBe("create");
    expect(decide(s1, t, days(29.9))).toMatchObject({ kind: "none", reason: "not due" });
    expect(decide(s1, t, days(30))).toMatchObject({
      kind: "rotate",
      emergency: false,
      reason: "30 days old (intervalDays 30)",
    });
  });

  it("defers a due rotation while another credential rotated less than staggerMinutes ago", () => {
    const now = days(31);
    expect(decide(s1, { ...t, after: min(31 * 1440 - 10).toISOString() }, now)).toMatchObject({
      kind: "none",
    });
    expect(decide(s1, { ...t, after: min(31 * 1440 - 10).toISOString() }, now).reason).toMatch(
      /deferred.*10 min ago/,
    );
    expect(decide(s1, { ...t, after: min(31 * 1440 - 16).toISOString() }, now).kind).toBe("rotate");
    expect(decide(s1, { ...t, staggerMinutes: 0, after: now.toISOString() }, now).kind).toBe(
      "rotate",
    );
  });

  it("rotates at once when asked (request, epoch, emergency), whatever the stagger, and each ask acts once", () => {
    const recent = { ...t, after: t0.toISOString() };
    expect(decide(s1, { ...recent, request: "r1" }, t0)).toMatchObject({
      kind: "rotate",
      emergency: false,
    });
    expect(decide(s1, { ...recent, epoch: 1 }, t0).reason).toBe("epoch bumped to 1 (was 0)");
    expect(decide(s1, { ...recent, emergency: "e1" }, t0)).toMatchObject({
      kind: "rotate",
      emergency: true,
    });
    const s2 = rotated(s1, slot(2), { ...t, request: "r1", epoch: 1 }, false, t0);
    expect(decide(s2, { ...t, request: "r1", epoch: 1 }, t0).kind).toBe("none");
  });

  it("expires the previous generation when its overlap ends", () => {
    const s2 = rotated(s1, slot(2), t, false, t0);
    expect(s2.previousExpiresAt).toBe(min(60).toISOString());
    expect(decide(s2, t, min(59)).kind).toBe("none");
    expect(decide(s2, t, min(60)).kind).toBe("expire-previous");
    const s3 = previousExpired(s2, t, min(60));
    expect(s3.previous).toBeUndefined();
    expect(s3.retired.map((r) => [r.id, r.reason])).toEqual([["g1", "expired"]]);
  });

  it("rolls back only when there is a previous generation", () => {
    expect(decide(s1, { ...t, rollback: "b1" }, t0)).toMatchObject({ kind: "none" });
    const s2 = rotated(s1, slot(2), t, false, t0);
    expect(decide(s2, { ...t, rollback: "b1" }, t0).kind).toBe("rollback");
  });
});

describe("transitions", () => {
  it("a rotation keeps the old current valid and retires the one from two rotations ago", () => {
    let s = created(slot(1), t, t0);
    s = rotated(s, slot(2), t, false, days(30));
    expect([s.current.id, s.previous?.id, s.retired.map((r) => r.id)]).toEqual(["g2", "g1", []]);
    s = rotated(s, slot(3), t, false, days(60));
    expect([s.current.id, s.previous?.id, s.retired.map((r) => r.id)]).toEqual([
      "g3",
      "g2",
      ["g1"],
    ]);
    expect(s.retired[0]!.reason).toBe("superseded");
  });

  it("an emergency retires the previous and the old current, leaving only the new generation", () => {
    let s = rotated(created(slot(1), t, t0), slot(2), t, false, days(30));
    s = rotated(s, slot(3), t, true, days(31));
    expect(s.previous).toBeUndefined();
    expect(s.retired.map((r) => [r.id, r.reason])).toEqual([
      ["g1", "superseded"],
      ["g2", "emergency"],
    ]);
  });

  it("a rollback swaps back to the known-good generation and revokes nothing", () => {
    const s2 = rotated(created(slot(1), t, t0), slot(2), t, false, days(30));
    const back = rolledBack(s2, { ...t, rollback: "b1" }, days(30));
    expect([back.current.id, back.previous?.id, back.retired]).toEqual(["g1", "g2", []]);
    expect(back.served.rollback).toBe("b1");
  });

  it("keeps the newest retired generations when the queue is long", () => {
    let s = created(slot(1), t, t0);
    for (let g = 2; g <= RETIRED_KEPT + 5; g++) s = rotated(s, slot(g), t, false, days(g * 30));
    expect(s.retired).toHaveLength(RETIRED_KEPT);
    expect(s.retired.at(-1)!.id).toBe(`g${RETIRED_KEPT + 3}`);
  });
});
