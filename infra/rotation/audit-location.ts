/**
 * Where a stack keeps its rotation audit log, as commands see it (no engine):
 * `rotation.audit.file`, else the backup bucket's `rotation-audit/<stack>/`
 * objects. A bucket the stack creates has a name only its outputs know, so
 * the caller passes it (`--bucket`), or there is no location.
 */
import { resolve } from "node:path";
import type { StackFileConfig } from "../config/stack-file";
import { REPO_ROOT } from "../lib/paths";
import type { AuditLocation } from "./audit";

export function auditLocationOf(
  stack: StackFileConfig,
  options: { root?: string; bucket?: string } = {},
): AuditLocation | undefined {
  const { config, context } = stack;
  if (config.rotation.audit.file)
    return { kind: "file", path: resolve(options.root ?? REPO_ROOT, config.rotation.audit.file) };
  const bucket =
    options.bucket ??
    (config.backup.bucket.mode === "existing" ? config.backup.bucket.name : undefined);
  if (!bucket || !config.aws) return undefined;
  return {
    kind: "s3",
    bucket,
    prefix: `rotation-audit/${context.stack}/`,
    region: config.aws.region,
    ...(config.backup.endpoint ? { endpoint: config.backup.endpoint } : {}),
  };
}
