/**
 * Every policy carries what a reviewer needs: a verb-first kebab-case name, a
 * one-sentence description, an explicit enforcement level and severity, and
 * remediation text; names are unique and each file holds one policy.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { POLICIES } from "../../../policies/policies";

const ROOT = join(__dirname, "..", "..", "..", "policies");

function policyFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const path = join(dir, f);
    if (statSync(path).isDirectory()) return ["lib", "review"].includes(f) ? [] : policyFiles(path);
    return /^(disallow|enforce|require)-.*\.ts$/.test(f) ? [path] : [];
  });
}

describe("policy metadata", () => {
  it("registers at least the policies the pack promises, each name once", () => {
    expect(POLICIES.length).toBeGreaterThanOrEqual(23);
    expect(new Set(POLICIES.map((p) => p.name)).size).toBe(POLICIES.length);
  });

  for (const policy of POLICIES) {
    describe(policy.name, () => {
      it("has a verb-first kebab-case name", () => {
        expect(policy.name).toMatch(/^(disallow|enforce|require)(-[a-z0-9]+)+$/);
      });
      it("has a one-sentence description", () => {
        expect(policy.description).toMatch(/^[A-Z].*[^.]\.$/);
        expect(policy.description, "one sentence").not.toMatch(/[.!?]\s/);
        expect(policy.description.length).toBeGreaterThan(40);
      });
      it("has an explicit enforcement level, a severity and tags", () => {
        expect(["advisory", "mandatory"]).toContain(policy.enforcementLevel);
        expect(["low", "medium", "high", "critical"]).toContain(policy.severity);
        expect(policy.tags.length).toBeGreaterThan(0);
      });
      it("tells the author what to change", () => {
        expect(policy.remediationSteps.length).toBeGreaterThan(40);
        expect(policy.remediationSteps).toMatch(/[.)]$/);
      });
      it("gives every config property a default", () => {
        for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {}))
          expect("default" in schema, key).toBe(true);
      });
    });
  }

  it("keeps one policy per file, named after it", () => {
    const files = policyFiles(ROOT);
    expect(files.length).toBe(POLICIES.length);
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      expect(text.match(/: Runbooks(Resource|Stack)Policy = \{/g), file).toHaveLength(1);
      const base = file.split("/").pop()!.replace(/\.ts$/, "");
      expect(
        POLICIES.find((p) => p.name === base),
        `${base} is not registered`,
      ).toBeDefined();
    }
  });
});
