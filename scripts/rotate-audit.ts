/**
 * `npm run rotate:audit -- -s <stack> [--file <path>] [--json]`
 *
 * Verifies the rotation audit log's hash chain and prints its history.
 * Exit 0: intact; 1: the chain is broken (the log was altered); 2: could not read it.
 */
import { resolve } from "node:path";
import { readStackConfig } from "../infra/config/stack-file";
import { REPO_ROOT } from "../infra/lib/paths";
import type { AuditLocation } from "../infra/rotation/audit";
import { auditRotation, renderAudit } from "../infra/rotation/command";
import { EXIT_OK, EXIT_PROBLEM, UsageError, run, type CommonFlags, type ExitCode } from "./lib/cli";
import { expandShortFlags } from "./rotate";

export const USAGE = `Usage: npm run rotate:audit -- -s <stack> [options]

Verifies the rotation audit log (every entry chained to the hash of the one
before) and prints the history: created, pushed, deployed, verified,
revoked, failed. Reads rotation.audit.file of the stack, or the backup
bucket's rotation-audit/<stack>/ objects (AWS credentials from the
environment).

Options:
  --stack <name>      the stack (also -s)
  --file <path>       read this audit file instead
  --bucket <name>     the backup bucket, when the stack creates it (its name is a stack output)
  --json              print the report as JSON
  --help              this text

Exit codes: 0 intact, 1 broken chain, 2 could not read.`;

export function auditLocationFor(flags: CommonFlags): AuditLocation {
  const file = flags.options.get("file");
  if (typeof file === "string") return { kind: "file", path: resolve(file) };
  if (!flags.stack) throw new UsageError("name the stack (-s <stack>) or the file (--file <path>)");
  const { config, context } = readStackConfig({ stack: flags.stack });
  if (config.rotation.audit.file)
    return { kind: "file", path: resolve(REPO_ROOT, config.rotation.audit.file) };
  const bucketFlag = flags.options.get("bucket");
  const bucket =
    typeof bucketFlag === "string"
      ? bucketFlag
      : config.backup.bucket.mode === "existing"
        ? config.backup.bucket.name
        : undefined;
  if (!bucket || !config.aws)
    throw new UsageError(
      `${context.stackFile} keeps the audit log in a bucket this stack creates; pass its name with --bucket (pulumi stack output backupStorage -s ${flags.stack})`,
    );
  return {
    kind: "s3",
    bucket,
    prefix: `rotation-audit/${flags.stack}/`,
    region: config.aws.region,
    ...(config.backup.endpoint ? { endpoint: config.backup.endpoint } : {}),
  };
}

export async function main(
  flags: CommonFlags,
  out: (line: string) => void = console.log,
): Promise<ExitCode> {
  const report = await auditRotation(auditLocationFor(flags));
  const code = report.findings.length === 0 ? EXIT_OK : EXIT_PROBLEM;
  if (flags.json) out(JSON.stringify({ ok: code === EXIT_OK, exitCode: code, ...report }, null, 2));
  else out(renderAudit(report));
  return code;
}

if (require.main === module)
  void run(main, { usage: USAGE, argv: expandShortFlags(process.argv.slice(2)) });
