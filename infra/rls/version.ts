/**
 * The provider-code version: a hash of the source files the serialized
 * provider is built from. Pulumi ignores a change to a dynamic provider's code
 * unless an input changes (pulumi/pulumi#6490), so this goes in as an input:
 * new code means an update, which re-applies idempotently (no DDL when
 * nothing differs) and stores state in the new code's shape.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The files whose code ends up in the serialized provider. */
export const PROVIDER_SOURCE_FILES = [
  "apply",
  "catalog",
  "../postgres/client",
  "diff",
  "expressions",
  "model",
  "provider",
  "sql",
] as const;

let cached: string | undefined;

export function rlsProviderVersion(): string {
  if (cached) return cached;
  const hash = createHash("sha256");
  for (const file of PROVIDER_SOURCE_FILES) {
    const ts = join(__dirname, `${file}.ts`);
    const js = join(__dirname, `${file}.js`);
    const path = existsSync(ts) ? ts : js;
    hash.update(file).update("\0").update(readFileSync(path));
  }
  cached = `sha256:${hash.digest("hex").slice(0, 16)}`;
  return cached;
}
