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
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
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

/**
 * What each source file requires at run time, by the SHA-256 of its text (and
 * the TypeScript version that transpiled it). Finding that out means
 * transpiling the file, which for the six providers of a full stack took
 * 1.4 s of every program start. The key is the content itself, so an edited
 * file is never served stale edges; the cache only remembers work.
 */
const EDGE_CACHE_FILE = join(REPO_ROOT, "node_modules", ".cache", "runbooks", "import-edges.json");
let edgeCache: Record<string, string[]> | undefined;
let edgeCacheDirty = false;
const usedKeys = new Set<string>();
/** Past this many entries (old versions of edited files), only what this process used is kept. */
const EDGE_CACHE_MAX = 5_000;

function edgesCache(): Record<string, string[]> {
  if (edgeCache) return edgeCache;
  try {
    edgeCache = JSON.parse(readFileSync(EDGE_CACHE_FILE, "utf8")) as Record<string, string[]>;
  } catch {
    edgeCache = {};
  }
  return edgeCache;
}

function saveEdgesCache(): void {
  if (!edgeCacheDirty || !edgeCache) return;
  edgeCacheDirty = false;
  try {
    if (Object.keys(edgeCache).length > EDGE_CACHE_MAX)
      edgeCache = Object.fromEntries([...usedKeys].map((k) => [k, edgeCache![k]!]));
    mkdirSync(dirname(EDGE_CACHE_FILE), { recursive: true });
    const tmp = `${EDGE_CACHE_FILE}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(edgeCache));
    renameSync(tmp, EDGE_CACHE_FILE);
  } catch {
    // A read-only checkout still works; it only transpiles again next time.
  }
}

/** The specifiers `file` requires once transpiled as ts-node runs it (type-only imports vanish). */
function requiredSpecifiers(file: string, source: string): string[] {
  if (!file.endsWith(".ts")) return [...source.matchAll(REQUIRE)].map((m) => m[1]!);
  // The version from package.json: loading the compiler just to read it would cost what the cache saves.
  const tsVersion = (require("typescript/package.json") as { version: string }).version;
  const key = createHash("sha256").update(tsVersion).update("\0").update(source).digest("hex");
  const cache = edgesCache();
  usedKeys.add(key);
  const known = cache[key];
  if (known) return known;
  const ts = require("typescript") as typeof import("typescript");
  const js = ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      removeComments: true,
    },
    fileName: file,
  }).outputText;
  const specifiers = [...js.matchAll(REQUIRE)].map((m) => m[1]!);
  cache[key] = specifiers;
  edgeCacheDirty = true;
  return specifiers;
}

/** The runtime import graph of `entryFile` (absolute path). */
export function importGraph(entryFile: string): ImportGraph {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entryFile];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const source = readFileSync(file, "utf8");
    for (const specifier of requiredSpecifiers(file, source)) {
      if (specifier.startsWith(".")) pending.push(resolveLocal(file, specifier));
      else {
        const pkg = packageOf(specifier, file);
        if (pkg) packages.add(pkg);
      }
    }
  }
  saveEdgesCache();
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
