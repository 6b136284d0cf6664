/**
 * Planning is pure: `planStack` and every area's `plan*()` decide from config
 * alone, so loading them must not load a cloud provider SDK. One constant
 * imported from a component file once pulled in @pulumi/aws (0.3 s of every
 * program start and every command that plans).
 */
import { spawnSync } from "node:child_process";
import { expect, it } from "vitest";
import { REPO_ROOT } from "../../infra/lib/paths";

it("loads infra/plan.ts without any cloud provider SDK", () => {
  const probe = `
    require("./infra/plan.ts");
    const sdks = Object.keys(require.cache)
      .map((f) => /node_modules\\/(@pulumi\\/(?:aws|github|postgresql)|@pulumiverse\\/vercel)\\//.exec(f)?.[1])
      .filter(Boolean);
    console.log(JSON.stringify([...new Set(sdks)]));`;
  const run = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", probe], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(run.stderr).toBe("");
  expect(JSON.parse(run.stdout.trim())).toEqual([]);
});
