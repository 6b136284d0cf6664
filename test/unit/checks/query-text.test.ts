import { describe, expect, it } from "vitest";
import { maskQueryText } from "../../../infra/checks/query-text";

describe("maskQueryText", () => {
  it("masks a password literal in a utility statement", () => {
    expect(maskQueryText("ALTER ROLE app PASSWORD 'hunter2-secret'")).toBe(
      "ALTER ROLE app PASSWORD '…'",
    );
  });

  it("masks doubled quotes inside a literal as part of it", () => {
    expect(maskQueryText("select 'it''s secret', 1")).toBe("select '…', 1");
  });

  it("masks E'' literals with backslash escapes", () => {
    expect(maskQueryText("select E'a\\'b secret' as x")).toBe("select '…' as x");
  });

  it("masks dollar-quoted bodies but keeps $1 placeholders", () => {
    expect(maskQueryText("select $1, $tag$ secret $$ still $tag$, $$x$$")).toBe(
      "select $1, '…', '…'",
    );
  });

  it("keeps quoted identifiers, even with an apostrophe inside", () => {
    expect(maskQueryText(`select "it's" from "T" where a = 'x'`)).toBe(
      `select "it's" from "T" where a = '…'`,
    );
  });

  it("drops comments, which are free text", () => {
    expect(maskQueryText("select 1 -- password 'x'\n/* token: abc */ from t")).toBe(
      "select 1 from t",
    );
  });

  it("masks an unterminated literal to the end (text truncated by the server)", () => {
    expect(maskQueryText("insert into t values ('secret that got cut")).toBe(
      "insert into t values ('…'",
    );
  });

  it("collapses whitespace and cuts long text", () => {
    expect(maskQueryText("select\n   a,\n\tb\nfrom t")).toBe("select a, b from t");
    const long = maskQueryText(`select ${"x, ".repeat(200)}1`, 50);
    expect(long).toHaveLength(50);
    expect(long.endsWith("…")).toBe(true);
  });

  it("does not mistake an identifier ending in e for an E'' prefix", () => {
    expect(maskQueryText("select name'x'")).toBe("select name'…'");
  });
});
