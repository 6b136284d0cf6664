/**
 * The first file of this checkout that a dynamic resource's serialized loader
 * (stub.ts) requires in the provider process. It is plain CommonJS because
 * nothing compiles TypeScript yet at that point: it registers ts-node for this
 * checkout's infra/ only, then asks entry.ts for the provider.
 *
 * Why a file and not more code in the loader: the loader is stored twice in
 * EVERY resource's state (inputs and outputs), and the file backend rewrites
 * the whole state after every step, so each byte of it costs the engine once
 * per resource per step. With this code here, the loader is a module of
 * about 450 bytes (bench/rls/engine.ts measures what state size costs).
 *
 * The path and the `load` contract are part of every stack's state written
 * since: never move this file or change what `load` takes and returns.
 */
/* global process */
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const FIX =
  "Run pulumi from the runbooks checkout (the directory with Pulumi.yaml) after 'npm ci'.";

// Provider processes inherit the environment of whoever ran `pulumi`, so the
// commands' own switch (scripts/lib/backup-cli.ts) is not set here: without it,
// the AWS SDK's notice that its 2027 releases need Node 22 is printed by every
// provider process that makes a client, and the engine shows it as a warning
// on every `up`. The notice is about SDK releases after January 2027, not the
// versions package-lock.json installs; a user's own value wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** The provider `providerId` from this checkout, checked to be the one asked for. */
exports.load = function load(providerId) {
  const checkout = path.resolve(__dirname, "..", "..", "..");
  const entryFile = path.join(checkout, "infra", "lib", "dynamic", "entry.ts");
  if (!fs.existsSync(entryFile)) {
    throw new Error(
      `the code of dynamic provider '${providerId}' was not found (no ${entryFile}). ${FIX}`,
    );
  }
  if (!require.extensions[".ts"]) {
    // Only this checkout's infra/ is compiled; types are checked by `npm run type-check`.
    require("ts-node").register({
      transpileOnly: true,
      projectSearchDir: checkout,
      scope: true,
      scopeDir: path.join(checkout, "infra"),
    });
  }
  const entry = require(entryFile);
  if (typeof entry.loadProvider !== "function") {
    throw new Error(`${entryFile} is not the runbooks provider entry (no loadProvider). ${FIX}`);
  }
  const provider = entry.loadProvider(providerId);
  if (!provider || provider.providerId !== providerId) {
    throw new Error(
      `${entryFile} returned provider '${String(provider && provider.providerId)}' for '${providerId}'; ` +
        `the checkout does not match the state. ${FIX}`,
    );
  }
  return provider;
};
