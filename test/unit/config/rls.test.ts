import { describe, expect, it } from "vitest";
import {
  parseRls,
  rlsPolicyObject,
  rlsPolicySchema,
  rlsTableSchema,
} from "../../../infra/config/index";
import { context, keysOf, thrown, withChange } from "./fixtures";

describe("runbooks:rls", () => {
  it("rejects duplicate RLS tables and policy names", () => {
    const rls = {
      tables: [
        {
          table: "projects",
          policies: [
            { name: "p", using: "true" },
            { name: "p", using: "true" },
          ],
        },
        { table: "projects" },
      ],
    };
    expect(keysOf(withChange((r) => (r.rls = rls)))).toEqual([
      "runbooks:rls.tables[0].policies[1].name",
      "runbooks:rls.tables[1].table",
    ]);
  });

  it("rejects USING on an INSERT policy and WITH CHECK on a SELECT policy", () => {
    const rls = {
      tables: [
        {
          table: "projects",
          policies: [
            { name: "ins", command: "INSERT", using: "true" },
            { name: "sel", command: "SELECT", using: "true", withCheck: "true" },
          ],
        },
      ],
    };
    expect(keysOf(withChange((r) => (r.rls = rls)))).toEqual([
      "runbooks:rls.tables[0].policies[0].using",
      "runbooks:rls.tables[0].policies[1].withCheck",
    ]);
  });

  it("rejects table names that are not lower-case identifiers", () => {
    expect(keysOf(withChange((r) => (r.rls = { tables: [{ table: "Projects" }] })))).toEqual([
      "runbooks:rls.tables[0].table",
    ]);
  });

  it("counts a policy name's length in bytes, as Postgres does", () => {
    // 40 characters, 80 bytes: Postgres would cut it to 63 bytes and never match it again.
    const name = "é".repeat(40);
    const err = thrown(() =>
      parseRls({ tables: [{ table: "t", policies: [{ name, using: "true" }] }] }, context),
    );
    expect(err.problems.map((p) => [p.key, p.message])).toEqual([
      [
        "runbooks:rls.tables[0].policies[0].name",
        // Postgres cuts at a character boundary: 31 two-byte characters, 62 bytes.
        `is longer than 63 bytes: Postgres would store it as '${"é".repeat(31)}', and the next diff would never converge; use a name of at most 63 bytes`,
      ],
    ]);
    expect(rlsPolicySchema.safeParse({ name: "e".repeat(63), using: "true" }).success).toBe(true);
  });

  it("exports the policy fields without the clause rules, for the RLS provider's check", () => {
    expect(rlsPolicyObject.safeParse({ name: "p", command: "INSERT", using: "x" }).success).toBe(
      true,
    );
    expect(rlsPolicySchema.safeParse({ name: "p", command: "INSERT", using: "x" }).success).toBe(
      false,
    );
    expect(rlsTableSchema.parse({ table: "t" })).toMatchObject({
      schema: "public",
      enabled: true,
      force: true,
      policies: [],
    });
  });

  it("parseRls: no tables when absent", () => {
    expect(parseRls(undefined, context)).toEqual({ tables: [] });
  });
});
