/**
 * Which areas plug into `incident` for a stack: the backups area exactly
 * when the stack turns backups on (otherwise the step says it is off, never
 * healthy).
 */
import { describe, expect, it } from "vitest";
import { readStackConfig } from "../../../infra/config/stack-file";
import { incidentSourcesFor, missingSourceReason } from "../../../infra/incident/sources";

describe("incident sources", () => {
  it("reads the latest backup for a stack with backups on", () => {
    for (const stack of ["local", "staging", "production"]) {
      const config = readStackConfig({ stack });
      expect(config.config.features.backups).toBe(true);
      expect(incidentSourcesFor(config, { env: {}, root: "/nonexistent" }).backups).toBeDefined();
    }
  });

  it("has no backup source when the stack turns backups off, and says so", () => {
    const local = readStackConfig({ stack: "local" });
    const off = {
      ...local,
      config: { ...local.config, features: { ...local.config.features, backups: false } },
    };
    expect(incidentSourcesFor(off, { env: {}, root: "/nonexistent" }).backups).toBeUndefined();
    expect(missingSourceReason("backups", off)).toBe(
      "backups are turned off for stack local (runbooks:features.backups)",
    );
  });
});
