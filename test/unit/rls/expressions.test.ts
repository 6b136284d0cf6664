import { describe, expect, it } from "vitest";
import {
  analyzeExpression,
  checkExpression,
  describeProblem,
  findUnwrappedAuthCalls,
  wrapAuthCalls,
} from "../../../infra/rls/expressions";
import { identifierProblem } from "../../../infra/postgres/identifiers";

describe("checkExpression (libpg_query)", () => {
  it("accepts single expressions, including subqueries and casts", async () => {
    for (const ok of [
      "true",
      "tenant_id = ((select auth.jwt()) ->> 'tenant_id')::uuid",
      "exists (select 1 from public.tenant_members m where m.user_id = (select auth.uid()) and m.tenant_id = projects.tenant_id)",
      "status in ('a', 'b') and created_at > now() - interval '1 day'",
    ]) {
      expect(await checkExpression(ok)).toBeUndefined();
    }
  });

  it("rejects a syntax error with the character position inside the expression", async () => {
    const problem = await checkExpression("tenant_id = = 1");
    expect(problem).toEqual({ message: 'syntax error at or near "="', offset: 12 });
    expect(describeProblem("tenant_id = = 1", problem!)).toBe(
      'syntax error at or near "=" at character 13 of `tenant_id = = 1`',
    );
  });

  it("rejects anything that could escape the USING ( … ) it is placed in", async () => {
    expect(await checkExpression("true) with check (true")).toMatchObject({
      message: expect.stringContaining("unbalanced ')'"),
      offset: 4,
    });
    expect(await checkExpression("true; drop table agents")).toMatchObject({
      message: "a policy expression cannot contain ';'",
      offset: 4,
    });
    expect(await checkExpression("(true")).toMatchObject({
      message: expect.stringContaining("unbalanced '('"),
    });
    expect(await checkExpression("'unterminated")).toMatchObject({
      message: expect.stringContaining("unterminated quoted string"),
      offset: 0,
    });
    expect(await checkExpression("   ")).toEqual({ message: "the expression is empty", offset: 0 });
  });

  it("does not count parentheses or semicolons inside string literals", async () => {
    expect(await checkExpression("note = 'a ) ; ('")).toBeUndefined();
  });

  it("reports positions in characters, not bytes", async () => {
    const problem = await checkExpression("name = 'é' and and");
    expect(problem?.offset).toBe("name = 'é' and ".length);
    expect(await checkExpression("'éé' = 'abc")).toMatchObject({ offset: "'éé' = ".length });
  });
});

describe("auth calls", () => {
  it("finds calls Postgres would evaluate per row, including inside correlated subqueries", async () => {
    expect(await findUnwrappedAuthCalls("user_id = auth.uid()")).toEqual([
      { call: "auth.uid()", offset: 10 },
    ]);
    expect(await findUnwrappedAuthCalls("exists (select 1 from m where m.u = auth.uid())")).toEqual(
      [{ call: "auth.uid()", offset: 36 }],
    );
    expect(await findUnwrappedAuthCalls("auth.jwt() ->> 'role' = 'admin'")).toEqual([
      { call: "auth.jwt()", offset: 0 },
    ]);
  });

  it("accepts the wrapped forms, as written and as pg_get_expr prints them", async () => {
    expect(await findUnwrappedAuthCalls("user_id = (select auth.uid())")).toEqual([]);
    expect(await findUnwrappedAuthCalls("(user_id = ( SELECT auth.uid() AS uid))")).toEqual([]);
    expect(
      await findUnwrappedAuthCalls(
        "(tenant_id = ((( SELECT auth.jwt() AS jwt) ->> 'tenant_id'::text))::uuid)",
      ),
    ).toEqual([]);
    expect(
      await findUnwrappedAuthCalls("tenant_id = (select auth.jwt() ->> 'tenant_id')::uuid"),
    ).toEqual([]);
  });

  it("wraps each unwrapped call and leaves the rest byte for byte", async () => {
    expect(await wrapAuthCalls("user_id = auth.uid() or auth.role() = 'service_role'")).toBe(
      "user_id = (select auth.uid()) or (select auth.role()) = 'service_role'",
    );
    expect(await wrapAuthCalls("exists (select 1 from m where m.u = auth.uid())")).toBe(
      "exists (select 1 from m where m.u = (select auth.uid()))",
    );
    expect(await wrapAuthCalls("user_id = (select auth.uid())")).toBe(
      "user_id = (select auth.uid())",
    );
    expect(await wrapAuthCalls("é = auth.uid()")).toBe("é = (select auth.uid())");
  });

  it("ignores other schemas' functions with the same name", async () => {
    expect(await findUnwrappedAuthCalls("user_id = myauth.uid() and uid() is not null")).toEqual(
      [],
    );
  });
});

describe("identifierProblem", () => {
  it("refuses names Postgres would truncate or cannot print", () => {
    expect(identifierProblem("agents")).toBeUndefined();
    expect(identifierProblem("")).toBe("is empty");
    expect(identifierProblem("x".repeat(64))).toContain("longer than 63 bytes");
    expect(identifierProblem("é".repeat(32))).toContain("longer than 63 bytes");
    expect(identifierProblem("a\nb")).toBe("contains a control character");
  });
});

describe("expressions copied from migrations", () => {
  it("accept a trailing -- comment, and SQL keeps the closing parenthesis out of it", async () => {
    const expression =
      "tenant_id = ((select auth.jwt()) ->> 'tenant_id')::uuid -- tenant isolation";
    expect(await checkExpression(expression)).toBeUndefined();
    const { createPolicySql } = await import("../../../infra/rls/sql");
    const sql = createPolicySql(
      { schema: "public", table: "t" },
      {
        name: "p",
        command: "SELECT",
        mode: "PERMISSIVE",
        roles: ["public"],
        using: expression,
        withCheck: null,
      },
    );
    expect(sql.endsWith("-- tenant isolation\n)")).toBe(true);
  });
});

describe("per-row session calls beyond auth.*()", () => {
  it("finds current_setting() and auth.email() outside (select …) and wraps them whole", async () => {
    expect(
      await findUnwrappedAuthCalls("tenant_id = current_setting('app.tenant', true)::uuid"),
    ).toEqual([{ call: "current_setting()", offset: 12 }]);
    expect(await wrapAuthCalls("tenant_id = current_setting('app.tenant', true)::uuid")).toBe(
      "tenant_id = (select current_setting('app.tenant', true))::uuid",
    );
    expect(await wrapAuthCalls("email = auth.email()")).toBe("email = (select auth.email())");
    expect(
      await findUnwrappedAuthCalls("x = (select current_setting('request.jwt.claims', true))"),
    ).toEqual([]);
  });
});

describe("expression facts", () => {
  const facts = async (e: string) => (await analyzeExpression(e)).facts;

  it("always true: constants evaluated with SQL's three-valued logic", async () => {
    for (const e of [
      "true",
      "1 = 1",
      "(1=1)",
      "'a'::text = 'a'::text",
      "x = 1 or true",
      "not false",
      "'t'::boolean",
    ])
      expect((await facts(e)).alwaysTrue, e).toBe(true);
    for (const e of [
      "false",
      "x = 1 and true",
      "1 = 2",
      "null = null",
      "auth.uid() is not null",
      "x or y",
    ])
      expect((await facts(e)).alwaysTrue, e).toBe(false);
  });

  it("columns: bare names outside subqueries, which must be the table's", async () => {
    expect(
      (
        await facts(
          "tenant_id = 1 and t.owner = (select auth.uid()) and exists (select 1 from m where m.k = other)",
        )
      ).columns,
    ).toEqual(["owner", "tenant_id"]);
    expect((await facts("project_id in (select id from projects)")).columns).toEqual([
      "project_id",
    ]);
  });
});
