/**
 * A dynamic provider's version: a hash of the code it runs, computed from its
 * real import graph, so no hand-kept file list can forget a module.
 *
 * The graph is what Node will actually require: each file is transpiled the
 * way ts-node runs it (type-only imports vanish) and its `require(...)` calls
 * are followed. Local files contribute their bytes, packages their
 * `name@version`, so upgrading the SQL parser changes the version too.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { REPO_ROOT } from "../paths";

export interface ImportGraph {
  /** Repository files the module loads, transitively, repo-relative and sorted. */
  files: string[];
  /** Packages those files require directly, `name@version`, sorted. Node built-ins are left out. */
  packages: string[];
}

const REQUIRE = /\brequire\(\s*["']([^"']+)["']\s*\)/g;

function resolveLocal(fromFile: string, specifier: string): string {
  const base = resolve(dirname(fromFile), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.js`, join(base, "index.ts")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  throw new Error(`${relative(REPO_ROOT, fromFile)} requires '${specifier}', which does not exist`);
}

function packageOf(specifier: string, fromFile: string): string | undefined {
  if (specifier.startsWith("node:")) return undefined;
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
  let resolved: string;
  try {
    resolved = require.resolve(name, { paths: [dirname(fromFile), REPO_ROOT] });
  } catch {
    return builtinModules.includes(name) ? undefined : `${name}@unresolved`;
  }
  if (!isAbsolute(resolved)) return undefined; // a built-in without the node: prefix
  // Walk up from the resolved file: packages with an `exports` map hide package.json.
  for (let dir = dirname(resolved); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; version?: string };
    if (pkg.name === name) return `${name}@${pkg.version ?? "unversioned"}`;
  }
  return `${name}@unresolved`;
}

/** The runtime import graph of `entryFile` (absolute path). */
export function importGraph(entryFile: string): ImportGraph {
  const ts = require("typescript") as typeof import("typescript");
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entryFile];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const source = readFileSync(file, "utf8");
    const js = file.endsWith(".ts")
      ? ts.transpileModule(source, {
          compilerOptions: {
            module: ts.ModuleKind.CommonJS,
            target: ts.ScriptTarget.ES2022,
            removeComments: true,
          },
          fileName: file,
        }).outputText
      : source;
    for (const match of js.matchAll(REQUIRE)) {
      const specifier = match[1]!;
      if (specifier.startsWith(".")) pending.push(resolveLocal(file, specifier));
      else {
        const pkg = packageOf(specifier, file);
        if (pkg) packages.add(pkg);
      }
    }
  }
  return {
    files: [...files].map((f) => relative(REPO_ROOT, f)).sort(),
    packages: [...packages].sort(),
  };
}

const cache = new Map<string, string>();

/** `sha256:<16 hex>` over the graph's file paths, bytes and package versions. */
export function providerVersion(entryFile: string): string {
  const known = cache.get(entryFile);
  if (known) return known;
  const graph = importGraph(entryFile);
  const hash = createHash("sha256");
  for (const file of graph.files)
    hash
      .update(file)
      .update("\0")
      .update(readFileSync(join(REPO_ROOT, file)))
      .update("\0");
  for (const pkg of graph.packages) hash.update(pkg).update("\0");
  const version = `sha256:${hash.digest("hex").slice(0, 16)}`;
  cache.set(entryFile, version);
  return version;
}
