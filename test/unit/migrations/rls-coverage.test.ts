import { describe, expect, it } from "vitest";
import { coverageChanges, type TableCoverage } from "../../../infra/migrations/rls-coverage";
import { withLockTimeout } from "../../../infra/migrations/run-command";

const t = (table: string, over: Partial<TableCoverage> = {}): TableCoverage => ({
  table,
  rls: true,
  forced: true,
  policies: 1,
  ...over,
});

describe("coverageChanges", () => {
  it("a new table without RLS is high", () => {
    const [f] = coverageChanges([t("public.a")], [t("public.a"), t("public.b", { rls: false })]);
    expect(f).toMatchObject({
      id: "enable-rls-on-new-table",
      severity: "high",
      subject: "public.b",
    });
    expect(f!.fix).toContain("alter table public.b enable row level security");
  });

  it("RLS turned off is critical; FORCE removed is high; every policy dropped is medium", () => {
    const findings = coverageChanges(
      [t("public.a"), t("public.b"), t("public.c")],
      [
        t("public.a", { rls: false }),
        t("public.b", { forced: false }),
        t("public.c", { policies: 0 }),
      ],
    );
    expect(findings.map((f) => [f.id, f.severity, f.subject])).toEqual([
      ["keep-rls-enabled", "critical", "public.a"],
      ["keep-rls-forced", "high", "public.b"],
      ["declare-policies-for-new-table", "medium", "public.c"],
    ]);
  });

  it("a new table with RLS but no policy locks the app out (medium)", () => {
    const [f] = coverageChanges([], [t("public.n", { policies: 0 })]);
    expect(f).toMatchObject({ severity: "medium" });
  });

  it("no regression is one info line naming new and dropped tables", () => {
    const [f] = coverageChanges([t("public.a"), t("public.old")], [t("public.a"), t("public.new")]);
    expect(f).toMatchObject({ id: "rls-coverage", severity: "info" });
    expect(f!.message).toBe(
      "no RLS regression from the migration (2 of 2 exposed tables have RLS); new tables, all with RLS: public.new; dropped: public.old",
    );
  });
});

describe("withLockTimeout", () => {
  it("adds lock_timeout to the caller's PGOPTIONS, keeping what is there", () => {
    expect(withLockTimeout(undefined, 5000)).toBe("-c lock_timeout=5000");
    expect(withLockTimeout(" -c search_path=app ", 250.4)).toBe(
      "-c search_path=app -c lock_timeout=250",
    );
  });
});
