/**
 * A provider's version is computed from its real import graph. The graph must
 * equal what Node actually loads — checked here against `require.cache` of a
 * fresh process — or a changed file could slip past the version.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { importGraph, providerVersion } from "../../../../infra/lib/dynamic/version";
import { REPO_ROOT } from "../../../../infra/lib/paths";

/** Repository files a plain node process has loaded after requiring `file` (ts-node, as the loader runs it). */
function loadedFiles(file: string): string[] {
  const script = `
    require(${JSON.stringify(file)});
    const root = ${JSON.stringify(REPO_ROOT + "/")};
    process.stdout.write(JSON.stringify(Object.keys(require.cache)
      .filter((f) => f.startsWith(root) && !f.includes("/node_modules/"))
      .map((f) => f.slice(root.length))));`;
  const result = spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", "-e", script],
    {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  if (result.status !== 0) throw new Error(result.stderr);
  return (JSON.parse(result.stdout) as string[]).sort();
}

describe("the providers' import graphs", () => {
  it.each([
    ["infra/rls/provider.ts", "infra/postgres/client.ts", ["@supabase/pg-parser", "pg", "zod"]],
    [
      "infra/backups/provider.ts",
      undefined,
      ["@aws-sdk/client-s3", "@aws-sdk/client-cloudwatch", "pg", "zod"],
    ],
    [
      "infra/rotation/providers/credential.ts",
      "infra/rotation/sources/postgres-login.ts",
      ["supabase-management-js", "pg", "zod"],
    ],
    [
      "infra/rotation/providers/sinks.ts",
      "infra/rotation/sinks/github.ts",
      ["@vercel/sdk", "@octokit/rest", "libsodium-wrappers"],
    ],
    ["infra/rotation/providers/rollout.ts", "infra/rotation/gate.ts", ["@vercel/sdk"]],
    [
      "infra/rotation/providers/revocation.ts",
      "infra/rotation/revocation.ts",
      ["pg", "supabase-management-js"],
    ],
  ])("%s: the graph is exactly what Node loads", (file, local, packages) => {
    const graph = importGraph(join(REPO_ROOT, file));
    expect(graph.files).toEqual(loadedFiles(join(REPO_ROOT, file)));
    if (local) expect(graph.files).toContain(local);
    // Packages the provider requires, lazily or not, with their versions.
    expect(graph.packages.map((p) => p.replace(/@[^@]+$/, ""))).toEqual(
      expect.arrayContaining(packages),
    );
    expect(graph.packages.every((p) => /@\d+\.\d+\.\d+/.test(p))).toBe(true);
  });
});

describe("providerVersion", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function write(files: Record<string, string>): string {
    dir ??= mkdtempSync(join(tmpdir(), "runbooks-graph-"));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  }

  it("follows value imports, re-exports and lazy requires; not type-only imports or comments", () => {
    const d = write({
      "entry.ts": [
        'import type { T } from "./types";',
        'import { b } from "./b";',
        'export { c } from "./c";',
        '// require("./commented")',
        'export const run = (t: T) => b + (require("./lazy") as { x: number }).x;',
        'export const z = require("zod");',
      ].join("\n"),
      "types.ts": "export type T = number;",
      "b.ts": 'import { unused } from "./only-a-type"; export const b: typeof unused = 1;',
      "only-a-type.ts": "export const unused = 1;",
      "c.ts": "export const c = 3;",
      "lazy.ts": "export const x = 4;",
    });
    const graph = importGraph(join(d, "entry.ts"));
    const names = graph.files.map((f) => relative(relative(REPO_ROOT, d), f)).sort();
    // b.ts uses `unused` only in a type position, so TypeScript drops that import at run time.
    expect(names).toEqual(["b.ts", "c.ts", "entry.ts", "lazy.ts"]);
    expect(graph.packages).toEqual([expect.stringMatching(/^zod@\d/)]);
  });

  it("changes when a file of the graph changes, and only then", () => {
    const d = write({
      "v1.ts": 'import { b } from "./dep1"; export const a = b;',
      "dep1.ts": "export const b = 1;",
    });
    const before = providerVersion(join(d, "v1.ts"));
    expect(before).toMatch(/^sha256:[0-9a-f]{16}$/);
    write({
      "v2.ts": 'import { b } from "./dep2"; export const a = b;',
      "dep2.ts": "export const b = 1;",
    });
    write({
      "v3.ts": 'import { b } from "./dep3"; export const a = b;',
      "dep3.ts": "export const b = 2;",
    });
    // Same bytes under another name is another graph; a changed dependency is another version.
    expect(providerVersion(join(d, "v3.ts"))).not.toBe(providerVersion(join(d, "v2.ts")));
  });

  it("follows an edited file's new imports: remembered edges are keyed by the file's content", () => {
    const d = write({
      "edited.ts": 'import { b } from "./first"; export const a = b;',
      "first.ts": "export const b = 1;",
      "second.ts": "export const b = 2;",
    });
    const names = () =>
      importGraph(join(d, "edited.ts")).files.map((f) => relative(relative(REPO_ROOT, d), f));
    expect(names().sort()).toEqual(["edited.ts", "first.ts"]);
    // Asked again (edges now remembered), the same graph.
    expect(names().sort()).toEqual(["edited.ts", "first.ts"]);
    write({ "edited.ts": 'import { b } from "./second"; export const a = b;' });
    expect(names().sort()).toEqual(["edited.ts", "second.ts"]);
  });

  it("names a missing import instead of hashing around it", () => {
    const d = write({ "broken.ts": 'import { x } from "./missing"; export const y = x;' });
    expect(() => importGraph(join(d, "broken.ts"))).toThrow(
      /requires '\.\/missing', which does not exist/,
    );
  });
});
