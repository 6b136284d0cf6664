import { describe, expect, it } from "vitest";
import { parseFeatures, parseStackConfig } from "../../../infra/config/index";
import { context, errorOf, thrown, withChange } from "./fixtures";

describe("runbooks:features", () => {
  it("turns every area on by default", () => {
    expect(parseFeatures(undefined, context)).toEqual({
      vercel: true,
      github: true,
      backupStorage: true,
      alerts: true,
      rls: true,
      backups: true,
      rotation: true,
    });
  });

  it("takes true or false only, and suggests the feature a typo meant", () => {
    const err = errorOf(withChange((r) => (r.features = { vercel: "yes", rsl: true })));
    expect(err.problems.map((p) => [p.key, p.message])).toEqual([
      ["runbooks:features.vercel", "must be true or false, but is the string 'yes'"],
      ["runbooks:features", "unknown key 'rsl'; did you mean 'rls'?"],
    ]);
  });

  it("keeps the areas not mentioned on", () => {
    const config = parseStackConfig(
      withChange((r) => (r.features = { rotation: false })),
      context,
    );
    expect(config.features.rotation).toBe(false);
    expect(config.features.rls).toBe(true);
  });

  it("parseFeatures names the key under the namespace", () => {
    expect(thrown(() => parseFeatures({ alerts: 1 }, context)).problems[0]!.key).toBe(
      "runbooks:features.alerts",
    );
  });
});
