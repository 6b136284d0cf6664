/**
 * What Pulumi serializes into state for every dynamic resource of this
 * project: a loader of a few KB that requires the provider's code from the
 * checkout in the provider process, instead of the provider captured by value.
 *
 * Why: the serialized provider is stored in EVERY resource's state, and the
 * file backend rewrites the whole state after every step. By value the RLS
 * provider was ~75 KB, so `pulumi up` of 250 tables wrote gigabytes and took
 * 144 s (21 s with a loader). Loading by path also keeps refresh working after
 * a dependency upgrade, which by-value closures pinned to old paths break.
 *
 * Where it looks: the provider process's working directory (the engine starts
 * providers in the project directory, so the checkout running pulumi wins),
 * then the checkout that wrote the state. Only `infra/lib/dynamic/entry.ts`:
 * one stable file, never a search up the tree. TypeScript is compiled by
 * ts-node (the language host already needs it), registered for `infra/` only.
 *
 * Nothing secret is captured: credentials arrive as secret inputs on each
 * call, and the only captured values are the provider id and a path.
 */
import type * as pulumi from "@pulumi/pulumi";
import { REPO_ROOT } from "../paths";
import type { IdentifiedProvider } from "./types";

/** Where the entry lives below a checkout. Part of every stack's state: never move it. */
export const ENTRY_PATH_PARTS = ["infra", "lib", "dynamic", "entry.ts"] as const;

/**
 * A provider whose methods load and call the real one. `root` is the
 * checkout recorded in state as the fallback location (tests pass another).
 */
export function providerStub<I, O>(
  providerId: string,
  root: string = REPO_ROOT,
): pulumi.dynamic.ResourceProvider<I, O> {
  const load = (): IdentifiedProvider<I, O> => {
    const fs = require("node:fs") as typeof import("node:fs");
    const path = require("node:path") as typeof import("node:path");
    const tried = [...new Set([process.cwd(), root])].map((dir) =>
      path.join(dir, ...ENTRY_PATH_PARTS),
    );
    const entryFile = tried.find((file) => fs.existsSync(file));
    const fix =
      "Run pulumi from the runbooks checkout (the directory with Pulumi.yaml) after 'npm ci'.";
    if (entryFile === undefined) {
      throw new Error(
        `the code of dynamic provider '${providerId}' was not found (looked for ${tried.join(", ")}). ${fix}`,
      );
    }
    const checkout = path.dirname(path.dirname(path.dirname(path.dirname(entryFile))));
    if (!require.extensions[".ts"]) {
      const tsNode = require("ts-node") as typeof import("ts-node");
      // Only this checkout's infra/ is compiled; types are checked by `npm run type-check`.
      tsNode.register({
        transpileOnly: true,
        projectSearchDir: checkout,
        scope: true,
        scopeDir: path.join(checkout, "infra"),
      });
    }
    const entry = require(entryFile) as { loadProvider?: (id: string) => IdentifiedProvider<I, O> };
    if (typeof entry.loadProvider !== "function") {
      throw new Error(`${entryFile} is not the runbooks provider entry (no loadProvider). ${fix}`);
    }
    const provider = entry.loadProvider(providerId);
    if (provider?.providerId !== providerId) {
      throw new Error(
        `${entryFile} returned provider '${String(provider?.providerId)}' for '${providerId}'; ` +
          `the checkout does not match the state. ${fix}`,
      );
    }
    return provider;
  };
  return {
    check: (olds, news) => load().check!(olds, news),
    diff: (id, olds, news) => load().diff!(id, olds, news),
    create: (inputs) => load().create(inputs),
    read: (id, props) => load().read!(id, props),
    update: (id, olds, news) => load().update!(id, olds, news),
    delete: (id, props) => load().delete!(id, props),
  };
}
