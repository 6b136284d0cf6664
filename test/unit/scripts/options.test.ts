import { describe, expect, it } from "vitest";
import { parseIdentifierList, parseNumberOption } from "../../../scripts/lib/options";

const spec = { flag: "attempts", default: 3, min: 1, max: 10, integer: true };

describe("parseNumberOption", () => {
  it("gives the default when the flag is absent", () => {
    expect(parseNumberOption(undefined, spec)).toEqual({ value: 3 });
  });

  it("parses a value in range", () => {
    expect(parseNumberOption("7", spec)).toEqual({ value: 7 });
    expect(parseNumberOption("0.5", { ...spec, integer: false, min: 0 })).toEqual({ value: 0.5 });
  });

  it("names the flag and the range when the value is wrong", () => {
    expect(parseNumberOption("many", spec)).toEqual({
      problem: "--attempts must be a whole number from 1 to 10, got 'many'",
    });
    expect(parseNumberOption("2.5", spec)).toEqual({
      problem: "--attempts must be a whole number from 1 to 10, got '2.5'",
    });
    expect(parseNumberOption("11", spec)).toEqual({
      problem: "--attempts must be from 1 to 10, got 11",
    });
    expect(parseNumberOption(" ", spec)).toHaveProperty("problem");
    expect(parseNumberOption(true, spec)).toHaveProperty("problem");
  });
});

describe("parseIdentifierList", () => {
  it("splits, trims and de-duplicates", () => {
    expect(parseIdentifierList("public, storage,public", "schemas")).toEqual({
      value: ["public", "storage"],
    });
  });

  it("refuses a name that is not an identifier", () => {
    expect(parseIdentifierList("public,Bad-Name", "schemas")).toEqual({
      problem:
        "--schemas: 'Bad-Name' is not a lower-case Postgres identifier (letters, digits, '_')",
    });
    expect(parseIdentifierList(" , ", "schemas")).toEqual({
      problem: "--schemas needs at least one name",
    });
  });
});
