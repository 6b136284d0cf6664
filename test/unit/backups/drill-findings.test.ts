import { describe, expect, it } from "vitest";
import { rowCountFindings } from "../../../infra/backups/drill";

const NOTE =
  "an exact count waited past lock_timeout for a lock (an index being rebuilt?); the planner's estimate instead";

describe("the drill's row-count findings", () => {
  it("names nothing for tables that match", () => {
    expect(
      rowCountFindings([
        { schema: "public", table: "a", rows: 3, exact: true, restored: 3, matches: true },
      ]),
    ).toEqual([]);
  });

  it("an exact count that differs is critical: the backup is not what was dumped", () => {
    const [f] = rowCountFindings([
      { schema: "public", table: "a", rows: 3, exact: true, restored: 2, matches: false },
    ]);
    expect(f).toMatchObject({
      severity: "critical",
      subject: "public.a",
      message: "restored 2 rows; the manifest says 3 (exact count)",
    });
    expect(f!.fix).toContain("take a new backup");
  });

  it("an estimate the backup fell back to quotes the manifest's note and says what to check", () => {
    const [f] = rowCountFindings([
      {
        schema: "app",
        table: "events",
        rows: 100,
        exact: false,
        note: NOTE,
        restored: 300,
        matches: false,
      },
    ]);
    expect(f).toMatchObject({ severity: "medium", subject: "app.events" });
    expect(f!.message).toBe(`restored 300 rows; the manifest says 100 (estimate: ${NOTE})`);
    expect(f!.fix).toContain("the next backup counts it exactly");
  });

  it("a plain estimate (a large table) says estimates drift", () => {
    const [f] = rowCountFindings([
      { schema: "public", table: "big", rows: 1000, exact: false, restored: 2000, matches: false },
    ]);
    expect(f!.message).toBe("restored 2000 rows; the manifest says 1000 (estimate)");
    expect(f!.fix).toContain("autovacuum");
  });
});
