/** `rotate:audit` — verify the rotation audit log's hash chain and print its history. Read-only. */
import { resolve } from "node:path";
import type { StackFileConfig } from "../infra/config/stack-file";
import type { AuditLocation } from "../infra/rotation/audit";
import { auditLocationOf } from "../infra/rotation/audit-location";
import { auditRotation, renderAuditHistory } from "../infra/rotation/command";
import { defineCommand, UsageError, type ArgSpecs } from "./lib/command";
import { runAsMain } from "./lib/main";

const ARGS = {
  file: {
    type: "string",
    valueHint: "path",
    description: "read this audit file instead of the stack's",
  },
  bucket: {
    type: "string",
    valueHint: "name",
    description:
      "the backup bucket, when the stack creates it (pulumi stack output backupStorage -s <stack>)",
  },
} as const satisfies ArgSpecs;

/** The file named, else where the stack keeps its log. */
export function auditLocationFor(
  args: { file?: string; bucket?: string },
  stack: StackFileConfig | undefined,
  root: string,
): AuditLocation {
  if (args.file !== undefined) return { kind: "file", path: resolve(args.file) };
  if (!stack) throw new UsageError("name the stack (-s <stack>) or the file (--file <path>)");
  const location = auditLocationOf(stack, {
    root,
    ...(args.bucket ? { bucket: args.bucket } : {}),
  });
  if (!location)
    throw new UsageError(
      `${stack.context.stackFile} keeps the audit log in a bucket this stack creates; pass its name with --bucket (pulumi stack output backupStorage -s ${stack.context.stack})`,
    );
  return location;
}

export const rotateAudit = defineCommand<typeof ARGS>({
  name: "rotate:audit",
  description:
    "Verify the rotation audit log's hash chain and print the history (created, pushed, deployed, verified, revoked, failed)",
  help:
    "Every entry is chained to the SHA-256 of the one before, so an edited, removed or reordered entry breaks the chain (exit 1).\n" +
    "Reads the stack's rotation.audit.file, or the backup bucket's rotation-audit/<stack>/ objects (AWS credentials from the environment).",
  shared: ["stack", "json", "quiet"],
  args: ARGS,
  async run({ args, stack, root }) {
    const report = await auditRotation(auditLocationFor(args, stack, root));
    return { findings: report.findings, report, text: renderAuditHistory(report) };
  },
});

runAsMain(module, rotateAudit);
