import { describe, expect, it } from "vitest";
import { policy } from "../../../infra/rls/model";
import {
  alterPolicySql,
  allowedClauses,
  createPolicySql,
  dropPolicySql,
  forceRowSecuritySql,
  lockTableSql,
  lockTimeoutSql,
  quoteIdent,
  renamePolicySql,
  roleList,
  rowSecuritySql,
} from "../../../infra/rls/sql";

const t = { schema: "public", table: "agents" };

describe("SQL builders", () => {
  it("quotes identifiers, doubling embedded quotes, and refuses empty or NUL names", () => {
    expect(quoteIdent("agents")).toBe('"agents"');
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
    expect(() => quoteIdent("")).toThrow("cannot be empty");
    expect(() => quoteIdent("a\u0000b")).toThrow("NUL");
  });

  it("writes role public as the keyword and other roles quoted", () => {
    expect(roleList(["anon", "authenticated"])).toBe('"anon", "authenticated"');
    expect(roleList(["public"])).toBe("PUBLIC");
    expect(() => roleList([])).toThrow("at least one role");
  });

  it("creates a policy with every clause in Postgres' order", () => {
    const p = policy({
      name: "tenant_update",
      command: "UPDATE",
      roles: ["authenticated"],
      using: "a = 1",
      withCheck: "b = 2",
    });
    expect(createPolicySql(t, p)).toBe(
      'CREATE POLICY "tenant_update" ON "public"."agents" AS PERMISSIVE FOR UPDATE TO "authenticated" USING (a = 1) WITH CHECK (b = 2)',
    );
    const insert = policy({
      name: "ins",
      command: "INSERT",
      mode: "RESTRICTIVE",
      withCheck: "true",
    });
    expect(createPolicySql(t, insert)).toBe(
      'CREATE POLICY "ins" ON "public"."agents" AS RESTRICTIVE FOR INSERT TO PUBLIC WITH CHECK (true)',
    );
  });

  it("alters only what changed, and refuses an empty ALTER", () => {
    expect(alterPolicySql(t, "p", { roles: ["anon"] })).toBe(
      'ALTER POLICY "p" ON "public"."agents" TO "anon"',
    );
    expect(alterPolicySql(t, "p", { using: "x", withCheck: "y" })).toBe(
      'ALTER POLICY "p" ON "public"."agents" USING (x) WITH CHECK (y)',
    );
    expect(() => alterPolicySql(t, "p", {})).toThrow("nothing to change");
  });

  it("renames, drops, toggles RLS and FORCE, locks, and sets lock_timeout in ms", () => {
    expect(renamePolicySql(t, "old", "new")).toBe(
      'ALTER POLICY "old" ON "public"."agents" RENAME TO "new"',
    );
    expect(dropPolicySql(t, "p")).toBe('DROP POLICY "p" ON "public"."agents"');
    expect(rowSecuritySql(t, true)).toBe('ALTER TABLE "public"."agents" ENABLE ROW LEVEL SECURITY');
    expect(rowSecuritySql(t, false)).toBe(
      'ALTER TABLE "public"."agents" DISABLE ROW LEVEL SECURITY',
    );
    expect(forceRowSecuritySql(t, true)).toBe(
      'ALTER TABLE "public"."agents" FORCE ROW LEVEL SECURITY',
    );
    expect(forceRowSecuritySql(t, false)).toBe(
      'ALTER TABLE "public"."agents" NO FORCE ROW LEVEL SECURITY',
    );
    expect(lockTableSql(t)).toBe('LOCK TABLE ONLY "public"."agents" IN ACCESS EXCLUSIVE MODE');
    expect(lockTimeoutSql(2)).toBe("SET LOCAL lock_timeout = '2000ms'");
    expect(lockTimeoutSql(0.25)).toBe("SET LOCAL lock_timeout = '250ms'");
  });

  it("knows which clauses each command allows", () => {
    expect(allowedClauses("SELECT")).toEqual({ using: true, withCheck: false });
    expect(allowedClauses("DELETE")).toEqual({ using: true, withCheck: false });
    expect(allowedClauses("INSERT")).toEqual({ using: false, withCheck: true });
    expect(allowedClauses("UPDATE")).toEqual({ using: true, withCheck: true });
    expect(allowedClauses("ALL")).toEqual({ using: true, withCheck: true });
  });
});

describe("quoteLiteral", () => {
  it("doubles quotes, and uses E'' with doubled backslashes when a backslash is present", async () => {
    const { quoteLiteral } = await import("../../../infra/postgres/identifiers");
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral("a\\b'")).toBe("E'a\\\\b'''");
  });
});
