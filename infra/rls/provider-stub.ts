/**
 * What Pulumi serializes into state for every RLS table: a small stub that
 * loads the provider's code (./provider.ts) from the repository checkout in
 * the provider process, instead of the whole provider captured by value.
 *
 * Why: the serialized provider is stored in EVERY resource's state, and the
 * file backend rewrites the whole state after every step. By value the
 * provider is ~75 KB, so `pulumi up` of 250 tables wrote gigabytes and took
 * 144 s (100 tables: 27 s with checkpoints, 6 s without — quadratic). The stub
 * is ~2 KB.
 *
 * Loading: `infra/postgres/` under the provider process's working directory
 * (the engine starts providers in the project directory) or any directory
 * above it, else the path captured when the program ran — so state written on
 * one machine refreshes on another, and always with the checkout's own code. TypeScript is compiled by ts-node, which the
 * Pulumi Node.js language host already needs for this program; `pg` and the
 * parser are required by the provider's own functions. No credential is
 * captured: the connection string arrives as a (secret) input on each call.
 */
import type * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import type { RlsTableInputs, RlsTableOutputs } from "./provider";

type Provider = pulumi.dynamic.ResourceProvider<RlsTableInputs, RlsTableOutputs>;

/** A provider whose methods load and call the real one on first use. */
export function rlsProviderStub(modulePath: string = join(__dirname, "provider")): Provider {
  const load = (): Provider => {
    const holder = globalThis as unknown as { __runbooksRlsProvider?: Provider };
    if (holder.__runbooksRlsProvider) return holder.__runbooksRlsProvider;
    const fs = require("node:fs") as typeof import("node:fs");
    const path = require("node:path") as typeof import("node:path");
    // The checkout the engine runs in comes first: the path captured at
    // serialization may be another, older checkout that still exists.
    const candidates: string[] = [];
    for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
      candidates.push(path.join(dir, "infra", "rls", "provider"));
      if (path.dirname(dir) === dir) break;
    }
    candidates.push(modulePath);
    const found = candidates
      .flatMap((base) => [`${base}.js`, `${base}.ts`])
      .find((file) => fs.existsSync(file));
    if (!found) {
      throw new Error(
        `the RLS provider's code was not found (looked for ${candidates.map((c) => `${c}.ts`).join(", ")}). ` +
          `Run pulumi from the repository checkout (the directory with Pulumi.yaml and infra/).`,
      );
    }
    if (found.endsWith(".ts")) {
      const tsNode = require("ts-node") as typeof import("ts-node");
      // Transpile only (`npm run type-check` checks types), with the repository's tsconfig.
      tsNode.register({ transpileOnly: true, projectSearchDir: path.dirname(found) });
    }
    const mod = require(found) as typeof import("./provider");
    holder.__runbooksRlsProvider = mod.createRlsTableProvider();
    return holder.__runbooksRlsProvider;
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
