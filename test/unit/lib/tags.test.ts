import { describe, expect, it } from "vitest";
import {
  MANAGED_BY,
  REQUIRED_TAG_KEYS,
  sanitizeTagValue,
  standardTags,
  tags,
} from "../../../infra/lib/tags";

const context = { project: "runbooks", stack: "production", owner: "platform-team" };

describe("tags", () => {
  it("always carries project, stack, owner and managed-by", () => {
    expect(standardTags(context)).toEqual({
      project: "runbooks",
      stack: "production",
      owner: "platform-team",
      "managed-by": MANAGED_BY,
    });
    expect(Object.keys(tags(context, { severity: "P0" })).sort()).toEqual(
      [...REQUIRED_TAG_KEYS, "severity"].sort(),
    );
  });

  it("never lets a resource-specific tag override a required one", () => {
    expect(tags(context, { owner: "someone-else", stack: "x" })).toMatchObject({
      owner: "platform-team",
      stack: "production",
    });
  });

  it("replaces characters AWS does not accept in tag values and caps their length", () => {
    expect(sanitizeTagValue("team#1 (ops)")).toBe("team_1 _ops_");
    expect(sanitizeTagValue("a".repeat(300))).toHaveLength(256);
    expect(tags({ ...context, owner: "ops!" }).owner).toBe("ops_");
  });
});
