/**
 * A dynamic provider as the engine really runs it: the loader module a
 * resource stores as `__provider` (infra/lib/dynamic/stub.ts), loaded with
 * require-from-string in a separate plain `node` process, as the
 * dynamic-provider host does. Mock tests never reach this path.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../../../infra/lib/paths";

export interface SerializedRun {
  ok: boolean;
  results: unknown[];
  error?: string;
  /** Lines the provider printed (the engine shows them as diagnostics). */
  printed: string[];
}

const RESULT = "__serialized_provider_result__";

/** Load `text` in a plain node process started in `cwd` and call the operations in order. */
export function runSerialized(
  text: string,
  ops: { op: string; args: unknown[] }[],
  options: { cwd?: string } = {},
): SerializedRun {
  const result = spawnSync(process.execPath, [join(__dirname, "run-serialized.js")], {
    input: JSON.stringify({ text, ops }),
    encoding: "utf8",
    timeout: 60_000,
    // The engine starts providers in the project directory.
    cwd: options.cwd ?? REPO_ROOT,
    // A plain node: no ts-node, tsx or vitest loaders preloaded.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  });
  const lines = (result.stdout ?? "").split("\n");
  const marked = lines.find((line) => line.startsWith(`${RESULT} `));
  if (marked === undefined) throw new Error(`provider process failed: ${result.stderr}`);
  const printed = lines.filter((line) => line !== "" && line !== marked);
  return {
    ...(JSON.parse(marked.slice(RESULT.length + 1)) as Omit<SerializedRun, "printed">),
    printed,
  };
}
