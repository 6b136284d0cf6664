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
 * then the checkout that wrote the state. Only `infra/lib/dynamic/boot.cjs`:
 * one stable file, never a search up the tree. boot.cjs registers ts-node
 * (the language host already needs it) for `infra/` only and asks entry.ts
 * for the provider.
 *
 * Nothing secret is captured: credentials arrive as secret inputs on each
 * call, and the only captured values are the provider id and a path.
 */
import type * as pulumi from "@pulumi/pulumi";
import { REPO_ROOT } from "../paths";
import type { IdentifiedProvider } from "./types";

// Loaders written before boot.cjs (still in older stacks' state) require
// infra/lib/dynamic/entry.ts directly: that file must not move either.
// Not exported: the loader captures this by value; an export would bring the module's exports along.
const BOOT = "infra/lib/dynamic/boot.cjs";

/** The loader's first file below a checkout (boot.cjs). Part of every stack's state: never move it. */
export const BOOT_PATH = BOOT;

/**
 * A provider whose methods load and call the real one. `root` is the
 * checkout recorded in state as the fallback location (tests pass another).
 *
 * Everything here is serialized into every resource's state, twice, so it is
 * kept to the lookup: boot.cjs in the checkout does the rest.
 */
export function providerStub<I, O>(
  providerId: string,
  root: string = REPO_ROOT,
): pulumi.dynamic.ResourceProvider<I, O> {
  const load = (): IdentifiedProvider<I, O> => {
    const tried = [...new Set([process.cwd(), root])].map((d) =>
      require("node:path").join(d, BOOT),
    );
    const boot = tried.find(require("node:fs").existsSync);
    if (!boot)
      throw new Error(
        `the code of dynamic provider '${providerId}' was not found (looked for ${tried.join(", ")}). ` +
          "Run pulumi from the runbooks checkout (the directory with Pulumi.yaml) after 'npm ci'.",
      );
    return require(boot).load(providerId);
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
