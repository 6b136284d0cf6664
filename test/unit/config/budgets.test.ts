import { describe, expect, it } from "vitest";
import { parseBudgets } from "../../../infra/config/index";
import { context, keysOf, thrown, withChange } from "./fixtures";

describe("runbooks:budgets", () => {
  it("rejects a budget without a positive limit", () => {
    expect(
      keysOf(withChange((r) => (r.budgets = [{ name: "monthly", monthlyLimitUsd: 0 }]))),
    ).toEqual(["runbooks:budgets[0].monthlyLimitUsd"]);
  });

  it("rejects an unknown budget threshold type", () => {
    expect(
      keysOf(
        withChange(
          (r) =>
            (r.budgets = [
              { name: "m", monthlyLimitUsd: 10, thresholds: [{ percent: 80, type: "PREDICTED" }] },
            ]),
        ),
      ),
    ).toEqual(["runbooks:budgets[0].thresholds[0].type"]);
  });

  it("parseBudgets: none when absent, and a list is required", () => {
    expect(parseBudgets(undefined, context)).toEqual([]);
    expect(thrown(() => parseBudgets({ name: "m" }, context)).problems).toEqual([
      expect.objectContaining({
        key: "runbooks:budgets",
        message: "must be a list, but is a mapping of keys",
      }),
    ]);
  });
});
