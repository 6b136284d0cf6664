/**
 * Every RLS lint is one registered rule in its own file, with a verb-first
 * id, a one-sentence description and a severity: what the README and the
 * `--json` readers rely on.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../../infra/lib/paths";
import { LINT_RULES } from "../../../../infra/rls/lints/index";

const DIR = join(REPO_ROOT, "infra", "rls", "lints");
const SEVERITIES = ["critical", "high", "medium", "low", "info"];

describe("the RLS lint rules", () => {
  it("are registered once each, one file per rule, named by its id", () => {
    const files = readdirSync(DIR)
      .filter((f) => f.endsWith(".ts") && f !== "index.ts" && f !== "rule.ts")
      .map((f) => f.slice(0, -3))
      .sort();
    const ids = LINT_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(files);
  });

  it.each(LINT_RULES.map((r) => [r.id, r] as const))(
    "%s: verb-first id, a sentence, a severity",
    (_id, rule) => {
      expect(rule.id).toMatch(/^(require|disallow|enforce)-[a-z]+(-[a-z]+)+$/);
      expect(rule.description).toMatch(/^[A-Z][^\n]{20,200}\.$/);
      expect(SEVERITIES).toContain(rule.severity);
    },
  );
});
