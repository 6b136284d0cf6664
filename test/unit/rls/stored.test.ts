import { describe, expect, it } from "vitest";
import { knownNormalizations } from "../../../infra/rls/apply";
import type { LiveTableState } from "../../../infra/rls/catalog";
import { declaredChanges } from "../../../infra/rls/diff";
import type { RlsTableInputs } from "../../../infra/rls/inputs";
import { policy, type PolicySpec } from "../../../infra/rls/model";
import {
  appliedOutputs,
  committedState,
  managedPolicyNames,
  previousApply,
  previousDeclaration,
  type RlsTableOutputs,
} from "../../../infra/rls/stored";

const rw = policy({
  name: "rw",
  command: "UPDATE",
  roles: ["authenticated"],
  using: "owner_id = (select auth.uid())",
  withCheck: "owner_id = (select auth.uid())",
});
const sel = policy({ name: "sel", command: "SELECT", roles: ["anon"], using: "true" });

const inputs: RlsTableInputs & { tenantColumn: string; tenantClaim: string } = {
  schema: "public",
  table: "notes",
  enabled: true,
  force: true,
  policies: [rw, sel],
  connection: "postgres://admin:x@127.0.0.1:5432/app",
  lockTimeoutSeconds: 5,
  lockRetries: 5,
  catalogSchemas: ["public"],
  privileges: { anon: ["SELECT"], authenticated: ["SELECT", "UPDATE"] },
  providerVersion: "sha256:0123456789abcdef",
  tenantColumn: "tenant_id",
  tenantClaim: "tenant_id",
};

// What Postgres stores of those policies (pg_get_expr), and a grantee the declaration does not manage.
const NORMALIZED = "(owner_id = ( SELECT auth.uid() AS uid))";
const committed: LiveTableState = {
  exists: true,
  enabled: true,
  force: true,
  policies: [
    {
      name: "rw",
      command: "UPDATE",
      mode: "PERMISSIVE",
      roles: ["authenticated"],
      using: NORMALIZED,
      withCheck: NORMALIZED,
    },
    {
      name: "sel",
      command: "SELECT",
      mode: "PERMISSIVE",
      roles: ["anon"],
      using: "true",
      withCheck: null,
    },
  ],
  privileges: {
    anon: ["SELECT"],
    authenticated: ["SELECT", "UPDATE"],
    service_role: ["DELETE", "INSERT", "SELECT", "TRUNCATE", "UPDATE"],
  },
};

const compact = appliedOutputs(inputs, committed);
// State written by the earlier form: every input again, and every grantee's privileges.
const legacy = {
  ...inputs,
  expected: committed,
  drift: [],
} as RlsTableOutputs;

const edits: [string, PolicySpec][] = [
  ["USING", { ...rw, using: "owner_id = auth.uid()" }],
  ["WITH CHECK", { ...rw, withCheck: "true" }],
  ["roles", { ...rw, roles: ["anon", "authenticated"] }],
  ["command", { ...rw, command: "ALL" }],
  ["mode", { ...rw, mode: "RESTRICTIVE" }],
  ["name", { ...rw, name: "rw2" }],
];

describe("an RlsTable's stored outputs", () => {
  it("do not repeat the declaration: committed policies as tuples with a fingerprint of their text", () => {
    expect(compact.policies).toBeUndefined();
    expect(compact.expected).toBeUndefined();
    expect(compact).not.toHaveProperty("tenantColumn");
    expect(compact).not.toHaveProperty("tenantClaim");
    const [first, second] = compact.applied!.policies;
    expect(first!.slice(0, 6)).toEqual([
      "rw",
      "UPDATE",
      "PERMISSIVE",
      ["authenticated"],
      NORMALIZED,
      NORMALIZED,
    ]);
    expect(first![6]).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(first![6]).not.toBe(second![6]);
    expect(JSON.stringify(compact).length).toBeLessThan(JSON.stringify(legacy).length * 0.7);
  });

  it("read back as the committed table, privileges only of the managed grantees", () => {
    expect(committedState(compact)).toEqual({
      ...committed,
      privileges: { anon: ["SELECT"], authenticated: ["SELECT", "UPDATE"] },
    });
    expect(committedState(legacy)).toEqual(committed);
  });

  for (const [form, olds] of [
    ["compact", compact],
    ["earlier", legacy],
  ] as const) {
    describe(`${form} state`, () => {
      it("sees no declaration change when nothing changed", () => {
        expect(declaredChanges(previousDeclaration(olds), inputs)).toEqual([]);
      });

      for (const [what, edited] of edits)
        it(`sees an edit of ${what} alone`, () => {
          expect(
            declaredChanges(previousDeclaration(olds), { ...inputs, policies: [edited, sel] }),
          ).toEqual(["policies"]);
        });

      it("gives an unchanged declared text the normalization the apply read back", () => {
        const [known, other] = knownNormalizations([rw, sel], previousApply(olds));
        expect(known!.normalized).toEqual({ using: NORMALIZED, withCheck: NORMALIZED });
        expect(other!.normalized).toEqual({ using: "true", withCheck: null });
      });

      it("follows a rename by its text, and not an edited text", () => {
        const renamed = { ...rw, name: "rw_renamed", renamedFrom: "rw" };
        const [r] = knownNormalizations([renamed], previousApply(olds));
        expect(r!.normalized).toEqual({ using: NORMALIZED, withCheck: NORMALIZED });
        const [e] = knownNormalizations([{ ...rw, using: "owner_id = 1" }], previousApply(olds));
        expect(e!.normalized).toBeUndefined();
      });

      it("names every managed policy for delete", () => {
        expect(managedPolicyNames(olds).sort()).toEqual(["rw", "sel"]);
      });
    });
  }
});
