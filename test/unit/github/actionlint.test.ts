/**
 * actionlint on every workflow: this repository's .github/workflows/ and the
 * app workflows each stack generates (committed elsewhere, so written to a
 * temp repository here). Any finding fails the test.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseStackConfig, stackFileFor } from "../../../infra/config/index";
import { appWorkflowFiles } from "../../../infra/github/workflows";
import { planStack } from "../../../infra/plan";
import { ensureActionlint } from "../../../infra/tools/actionlint";
import { rawStackConfig } from "../../support/mocks/stack-config";

const ROOT = join(__dirname, "..", "..", "..");
const WORKFLOWS = join(ROOT, ".github", "workflows");
let actionlint: string;

function lint(cwd: string, files: string[]) {
  const r = spawnSync(actionlint, ["-no-color", "-oneline", ...files], { cwd, encoding: "utf8" });
  return { code: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

function generatedAppWorkflows(): string {
  const repo = mkdtempSync(join(tmpdir(), "actionlint-"));
  const dir = join(repo, ".github", "workflows");
  mkdirSync(dir, { recursive: true });
  for (const stack of readdirSync(join(ROOT, "stacks")).flatMap(
    (f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? [],
  )) {
    const config = {
      ...parseStackConfig(rawStackConfig(stack), { stack, stackFile: stackFileFor(stack) }),
      stack,
    };
    const plan = planStack(config, new Set(config.rotation.credentials.map((c) => c.name)));
    for (const file of appWorkflowFiles({
      backup: plan.backupWorkflow,
      health: plan.healthWorkflow,
    }))
      writeFileSync(join(repo, file.path), file.content);
  }
  return repo;
}

beforeAll(async () => {
  ({ bin: actionlint } = await ensureActionlint((line) => console.log(`[actionlint] ${line}`)));
}, 600_000);

describe("actionlint", () => {
  it("finds nothing in this repository's workflows", () => {
    const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml"));
    expect(files.length).toBeGreaterThanOrEqual(4);
    const r = lint(
      ROOT,
      files.map((f) => join(".github", "workflows", f)),
    );
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  });

  it("finds nothing in the workflows the stacks generate for the app repository", () => {
    const repo = generatedAppWorkflows();
    const files = readdirSync(join(repo, ".github", "workflows"));
    expect(files.length).toBeGreaterThan(0);
    const r = lint(
      repo,
      files.map((f) => join(".github", "workflows", f)),
    );
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  });

  it("reports a broken workflow (the check has teeth)", () => {
    const repo = mkdtempSync(join(tmpdir(), "actionlint-bad-"));
    mkdirSync(join(repo, ".github", "workflows"), { recursive: true });
    writeFileSync(
      join(repo, ".github", "workflows", "bad.yml"),
      'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "${{ github.event.nosuch.title }}"\n        uses: actions/checkout@v4\n',
    );
    const r = lint(repo, [".github/workflows/bad.yml"]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/bad\.yml:\d+:\d+:/);
  });
});
