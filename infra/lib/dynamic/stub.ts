/**
 * What goes into state as `__provider` for every dynamic resource of this
 * project: a loader module of a few hundred bytes that requires the
 * provider's code from the checkout in the provider process, instead of the
 * provider captured by value.
 *
 * Why so small (and written minified): `__provider` is stored in EVERY resource's state, twice
 * (inputs and outputs), and the file backend rewrites the whole state after
 * every step. By value the RLS provider was ~75 KB, so `pulumi up` of 250
 * tables wrote gigabytes and took 144 s. A loader object serialized by
 * Pulumi's closure serializer was still 2.6 KB (a wrapper per method), half
 * of an RlsTable's state; this module is the same lookup written once.
 * Loading by path also keeps refresh working after a dependency upgrade,
 * which by-value closures pinned to old paths break.
 *
 * The contract is the Node.js dynamic-provider host's: `__provider` is
 * CommonJS source, loaded with require-from-string, whose `handler()` returns
 * the provider. Older state holds the closure-serialized loaders, which keep
 * working: they look for the same boot file (see test/integration/rls/fixtures).
 *
 * Where it looks: the provider process's working directory (the engine starts
 * providers in the project directory, so the checkout running pulumi wins),
 * then the checkout that wrote the state. Only `infra/lib/dynamic/boot.cjs`:
 * one stable file, never a search up the tree. boot.cjs registers ts-node
 * for `infra/` only and asks entry.ts for the provider.
 *
 * Nothing secret is in it: credentials arrive as secret inputs on each call;
 * the module holds the provider id and two paths.
 */
import { REPO_ROOT } from "../paths";

/** The loader's first file below a checkout (boot.cjs). Part of every stack's state: never move it. */
export const BOOT_PATH = "infra/lib/dynamic/boot.cjs";

/**
 * The loader module for `providerId`. `root` is the checkout recorded in
 * state as the fallback location (tests pass another).
 */
export function loaderModule(providerId: string, root: string = REPO_ROOT): string {
  const [id, boot, fallback] = [providerId, BOOT_PATH, root].map((v) => JSON.stringify(v));
  // Plain ES2020 CommonJS: the provider host runs it as is, before anything compiles TypeScript.
  // Written without indentation or spare names: every byte of it is in every resource's state twice.
  return [
    `// runbooks: infra/lib/dynamic/stub.ts`,
    `exports.handler=()=>{` +
      `const i=${id},p=require("node:path"),f=require("node:fs"),` +
      `t=[...new Set([process.cwd(),${fallback}])].map((d)=>p.join(d,${boot})),` +
      `b=t.find((x)=>f.existsSync(x));` +
      `if(!b)throw new Error("dynamic provider '"+i+"' not found: no "+t.join(" or ")+` +
      `". Run pulumi in the runbooks checkout (with Pulumi.yaml) after 'npm ci'.");` +
      `return require(b).load(i)};`,
    ``,
  ].join("\n");
}
