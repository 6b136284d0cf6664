import { describe, expect, it } from "vitest";
import type { LivePolicy, LiveTableState } from "../../../infra/rls/catalog";
import {
  declaredChanges,
  describeDrift,
  planTable,
  policyShapes,
  stepsToSql,
  type Declared,
  type DesiredPolicy,
  type DesiredTable,
} from "../../../infra/rls/diff";
import { policy } from "../../../infra/rls/model";

const t = { schema: "public", table: "agents" };

function live(policies: LivePolicy[], flags: Partial<LiveTableState> = {}): LiveTableState {
  return { exists: true, enabled: true, force: true, policies, ...flags };
}

function desired(policies: DesiredPolicy[], flags: Partial<DesiredTable> = {}): DesiredTable {
  return { ...t, enabled: true, force: true, policies, ...flags };
}

const selectLive: LivePolicy = {
  name: "sel",
  command: "SELECT",
  mode: "PERMISSIVE",
  roles: ["authenticated"],
  using: "(a = 1)",
  withCheck: null,
};
const selectDeclared: DesiredPolicy = {
  ...policy({ name: "sel", command: "SELECT", roles: ["authenticated"], using: "a = 1" }),
  normalized: { using: "(a = 1)", withCheck: null },
};

describe("planTable", () => {
  it("is empty when the normalized declaration matches what is live", () => {
    expect(planTable(desired([selectDeclared]), live([selectLive]))).toEqual([]);
  });

  it("from an empty table: create every policy, then enable and force RLS", () => {
    const steps = planTable(desired([selectDeclared]), live([], { enabled: false, force: false }));
    expect(steps.map((s) => s.kind)).toEqual(["create", "rowSecurity", "forceRowSecurity"]);
    expect(stepsToSql(t, steps)).toEqual([
      'CREATE POLICY "sel" ON "public"."agents" AS PERMISSIVE FOR SELECT TO "authenticated" USING (a = 1)',
      'ALTER TABLE "public"."agents" ENABLE ROW LEVEL SECURITY',
      'ALTER TABLE "public"."agents" FORCE ROW LEVEL SECURITY',
    ]);
  });

  it("roles, USING and WITH CHECK change in place", () => {
    const changed: DesiredPolicy = {
      ...selectDeclared,
      roles: ["anon", "authenticated"],
      using: "a = 2",
      normalized: { using: "(a = 2)", withCheck: null },
    };
    expect(planTable(desired([changed]), live([selectLive]))).toEqual([
      { kind: "alter", name: "sel", roles: ["anon", "authenticated"], using: "a = 2" },
    ]);
  });

  it("an expression whose normalization is unknown and whose text differs is re-applied in place (never dropped)", () => {
    const unknown = policy({
      name: "sel",
      command: "SELECT",
      roles: ["authenticated"],
      using: "a = 1",
    });
    expect(planTable(desired([unknown]), live([selectLive]))).toEqual([
      { kind: "alter", name: "sel", using: "a = 1" },
    ]);
  });

  it("command or mode changes are drop-and-create of the same policy", () => {
    const restrictive: DesiredPolicy = { ...selectDeclared, mode: "RESTRICTIVE" };
    const steps = planTable(desired([restrictive]), live([selectLive]));
    expect(steps).toMatchObject([
      { kind: "replace", from: "sel", reason: "PERMISSIVE → RESTRICTIVE cannot change in place" },
    ]);
    expect(stepsToSql(t, steps)).toEqual([
      'DROP POLICY "sel" ON "public"."agents"',
      'CREATE POLICY "sel" ON "public"."agents" AS RESTRICTIVE FOR SELECT TO "authenticated" USING (a = 1)',
    ]);
    const all: DesiredPolicy = { ...selectDeclared, command: "ALL" };
    expect(planTable(desired([all]), live([selectLive]))).toMatchObject([
      { kind: "replace", reason: "command SELECT → ALL cannot change in place" },
    ]);
  });

  it("removing a WITH CHECK clause needs drop and create (ALTER POLICY cannot remove it)", () => {
    const liveUpdate: LivePolicy = { ...selectLive, command: "UPDATE", withCheck: "(b = 1)" };
    const declared: DesiredPolicy = { ...selectDeclared, command: "UPDATE" };
    expect(planTable(desired([declared]), live([liveUpdate]))).toMatchObject([
      { kind: "replace", reason: "removing the WITH CHECK clause needs drop and create" },
    ]);
  });

  it("a new name for an identical policy is a rename; with different roles, a rename then an alter", () => {
    const renamed: DesiredPolicy = { ...selectDeclared, name: "select_own" };
    expect(planTable(desired([renamed]), live([selectLive]))).toEqual([
      { kind: "rename", from: "sel", to: "select_own" },
    ]);
    const renamedAndWidened: DesiredPolicy = { ...renamed, roles: ["anon", "authenticated"] };
    expect(planTable(desired([renamedAndWidened]), live([selectLive]))).toEqual([
      { kind: "rename", from: "sel", to: "select_own" },
      { kind: "alter", name: "select_own", roles: ["anon", "authenticated"] },
    ]);
  });

  it("an explicit renamedFrom renames even when the expression changes too", () => {
    const renamed: DesiredPolicy = {
      ...policy({
        name: "new",
        command: "SELECT",
        roles: ["authenticated"],
        using: "a = 3",
        renamedFrom: "sel",
      }),
    };
    expect(planTable(desired([renamed]), live([selectLive]))).toEqual([
      { kind: "rename", from: "sel", to: "new" },
      { kind: "alter", name: "new", using: "a = 3" },
    ]);
  });

  it("a different policy under a new name is drop + create, not a rename", () => {
    const other: DesiredPolicy = {
      ...selectDeclared,
      name: "other",
      normalized: { using: "(a = 9)", withCheck: null },
      using: "a = 9",
    };
    expect(planTable(desired([other]), live([selectLive])).map((s) => s.kind)).toEqual([
      "drop",
      "create",
    ]);
  });

  it("drops live policies nobody declared, first", () => {
    const extra: LivePolicy = { ...selectLive, name: "debug_all", using: "true" };
    const steps = planTable(desired([selectDeclared]), live([selectLive, extra]));
    expect(steps).toEqual([{ kind: "drop", name: "debug_all", reason: "not declared" }]);
  });

  it("turns RLS off only when declared off, and FORCE both ways", () => {
    expect(planTable(desired([], { enabled: false, force: false }), live([]))).toEqual([
      { kind: "rowSecurity", enabled: false },
      { kind: "forceRowSecurity", force: false },
    ]);
  });
});

describe("describeDrift", () => {
  const expected = live([selectLive]);

  it("is empty when live equals what the last apply left", () => {
    expect(describeDrift(expected, live([selectLive]))).toEqual([]);
  });

  it("names each out-of-band change", () => {
    const tampered = live(
      [
        { ...selectLive, using: "true", roles: ["anon", "authenticated"] },
        {
          name: "x",
          command: "ALL",
          mode: "PERMISSIVE",
          roles: ["public"],
          using: "true",
          withCheck: null,
        },
      ],
      { enabled: false, force: false },
    );
    expect(describeDrift(expected, tampered)).toEqual([
      "row level security was DISABLED out of band",
      "FORCE row level security was removed out of band (the owner now bypasses policies)",
      "policy sel: roles changed [authenticated] → [anon, authenticated]",
      "policy sel: USING changed: expected (a = 1), live true",
      "policy x was added out of band (PERMISSIVE ALL to public)",
    ]);
    expect(describeDrift(expected, live([]))).toEqual(["policy sel was dropped out of band"]);
    expect(
      describeDrift(expected, { exists: false, enabled: false, force: false, policies: [] }),
    ).toEqual(["the table no longer exists"]);
  });
});

describe("declaredChanges", () => {
  // The old side as state keeps it: the shapes of its policies.
  const was = (d: Declared) => ({ ...d, policyShapes: policyShapes(d.policies) });

  const base = {
    enabled: true,
    force: true,
    policies: [policy({ name: "a", using: "true" }), policy({ name: "b", using: "x" })],
  };

  it("ignores order and renamedFrom hints", () => {
    const reordered = {
      ...base,
      policies: [{ ...base.policies[1]!, renamedFrom: "old" }, base.policies[0]!],
    };
    expect(declaredChanges(was(base), reordered)).toEqual([]);
  });

  it("names what changed", () => {
    expect(declaredChanges(was(base), { ...base, force: false })).toEqual(["force"]);
    expect(declaredChanges(was(base), { ...base, policies: [base.policies[0]!] })).toEqual([
      "policies",
    ]);
  });

  it("sees an edit of USING alone, of WITH CHECK alone, of roles, command or mode alone", () => {
    const both = policy({ name: "u", command: "UPDATE", using: "a = 1", withCheck: "a = 1" });
    const start = { ...base, policies: [both] };
    const edits = [
      { ...both, using: "a = 2" },
      { ...both, withCheck: "a = 2" },
      { ...both, roles: ["anon"] },
      { ...both, command: "ALL" as const },
      { ...both, mode: "RESTRICTIVE" as const },
    ];
    for (const edited of edits)
      expect(
        declaredChanges(was(start), { ...start, policies: [edited] }),
        JSON.stringify(edited),
      ).toEqual(["policies"]);
  });

  it("counts privileges only when both sides declare them (older state has none)", () => {
    const withPrivileges = {
      ...base,
      privileges: { anon: [], authenticated: ["SELECT" as const] },
    };
    expect(declaredChanges(was(base), withPrivileges)).toEqual([]);
    expect(
      declaredChanges(was(withPrivileges), {
        ...withPrivileges,
        privileges: { anon: [], authenticated: [] },
      }),
    ).toEqual(["privileges"]);
  });
});

describe("privileges in the plan", () => {
  const declared = {
    anon: [],
    authenticated: ["SELECT", "INSERT", "UPDATE", "DELETE"],
    public: [],
  } as DesiredTable["privileges"];

  it("revokes what RLS does not govern and grants what is missing, for declared grantees only", () => {
    const supabaseDefaults = live([], {
      privileges: {
        anon: ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"],
        authenticated: ["SELECT", "TRUNCATE"],
        reporting: ["SELECT"],
      },
    });
    const steps = planTable(desired([], { privileges: declared }), supabaseDefaults);
    expect(stepsToSql(t, steps)).toEqual([
      'REVOKE SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE "public"."agents" FROM "anon"',
      'REVOKE TRUNCATE ON TABLE "public"."agents" FROM "authenticated"',
      'GRANT INSERT, UPDATE, DELETE ON TABLE "public"."agents" TO "authenticated"',
    ]);
  });

  it("leaves privileges alone when none are declared, and plans nothing when they match", () => {
    const granted = live([], { privileges: { anon: ["TRUNCATE"] } });
    expect(planTable(desired([]), granted)).toEqual([]);
    const matching = live([], {
      privileges: { authenticated: ["SELECT", "INSERT", "UPDATE", "DELETE"] },
    });
    expect(planTable(desired([], { privileges: declared }), matching)).toEqual([]);
  });

  it("names a grant or revoke made by hand as drift, for managed grantees", () => {
    const expected = live([], { privileges: { authenticated: ["SELECT"] } });
    const tampered = live([], {
      privileges: {
        authenticated: ["SELECT", "TRUNCATE"],
        anon: ["SELECT"],
        reporting: ["SELECT"],
      },
    });
    expect(describeDrift(expected, tampered, ["anon", "authenticated"])).toEqual([
      "SELECT was granted to anon out of band",
      "TRUNCATE was granted to authenticated out of band",
    ]);
    // State from before privileges were managed recorded none: nothing to compare with.
    expect(describeDrift(live([]), tampered, ["anon"])).toEqual([]);
  });
});

describe("statementAt", () => {
  it("maps an error position in a multi-statement query to its statement", async () => {
    const { statementAt } = await import("../../../infra/rls/apply");
    const texts = ["DROP POLICY a", "CREATE POLICY b", "SELECT 1"];
    expect(statementAt(texts, ";\n", 0)).toBe(0);
    expect(statementAt(texts, ";\n", 12)).toBe(0);
    expect(statementAt(texts, ";\n", 13)).toBeUndefined();
    expect(statementAt(texts, ";\n", 15)).toBe(1);
    expect(statementAt(texts, ";\n", 32)).toBe(2);
    expect(statementAt(texts, ";\n", 99)).toBeUndefined();
  });
});
