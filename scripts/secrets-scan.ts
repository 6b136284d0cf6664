/**
 * `secrets:scan` — the runbook's "scan for leaked secrets": the working tree
 * and every commit of the history (or the commits since a ref), or only what
 * is staged (the pre-commit hook). Values are only ever shown masked.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import {
  reportFindings,
  scanSecrets,
  SecretsScanError,
  toSarif,
  type ScanSource,
  type SecretScanReport,
} from "../infra/secrets-scan/index";
import { formatBytes, formatCount } from "../infra/lib/format";
import { defineCommand, UsageError, type ArgSpecs } from "./lib/command";
import { startDir } from "./lib/cwd";
import { runAsMain } from "./lib/main";

const ARGS = {
  repo: {
    type: "string",
    valueHint: "dir",
    description: "the repository to scan (default: the directory npm or runbooks was run from)",
  },
  staged: {
    type: "boolean",
    description: "scan only what `git commit` is about to record (the pre-commit hook)",
  },
  since: {
    type: "string",
    valueHint: "ref",
    description: "history: only commits not reachable from this ref (a branch, tag or commit)",
  },
  "worktree-only": {
    type: "boolean",
    description: "the working tree only (quicker; an incident needs the history too)",
  },
  sarif: {
    type: "string",
    valueHint: "file",
    description: "also write the findings as SARIF 2.1.0 for GitHub code scanning",
  },
  allowlist: {
    type: "string",
    valueHint: "file",
    description: "the allowlist (default: .secrets-allowlist.yaml at the repository's top level)",
  },
} as const satisfies ArgSpecs;

export interface SecretsScanDeps {
  /** The directory the command was started from, when --repo is not given. */
  cwd: string;
}

/** The repository to work on: --repo (relative to where the user is), else where the user is. */
export function repoDir(flag: string | undefined, env: NodeJS.ProcessEnv, cwd?: string): string {
  return resolve(startDir(env, cwd), flag ?? ".");
}

/** Bad input (not a repository, an unknown ref) shows the usage; other scan errors are could-not-check. */
export function asCommandError(error: unknown): unknown {
  if (
    error instanceof SecretsScanError &&
    (error.code === "not-a-repository" || error.code === "unknown-ref")
  )
    return new UsageError(error.message);
  return error;
}

function summary(report: SecretScanReport): string[] {
  const s = report.stats;
  const what =
    report.sources[0] === "staged"
      ? `${formatCount(s.filesScanned)} staged file(s)`
      : [
          report.sources.includes("worktree") && `${formatCount(s.filesScanned)} file(s)`,
          report.sources.includes("history") &&
            `${formatCount(s.commitsScanned)} commit(s)${report.since ? ` since ${report.since.ref}` : ""}`,
        ]
          .filter(Boolean)
          .join(" and ");
  const lines = [
    `Secret scan: ${report.root}  (${what}, ${formatBytes(s.bytesScanned)} in ${Math.round(s.durationMs)} ms)`,
  ];
  if (report.suppressed.length > 0)
    lines.push(
      `  ${report.suppressed.length} finding(s) kept by the allowlist (${relative(report.root, report.allowlistFile ?? "") || report.allowlistFile}), each with its reason`,
    );
  return lines;
}

export const secretsScan = defineCommand<typeof ARGS, SecretsScanDeps, SecretScanReport>({
  name: "secrets:scan",
  description: "Scan the working tree and the git history (or the staged files) for leaked secrets",
  help:
    "secretlint's recommended preset plus rules for Supabase keys and service_role JWTs. Each finding\n" +
    "names the file or commit and line, shows the value masked, and says how to rotate it. A finding\n" +
    "is kept only by an entry with a reason in .secrets-allowlist.yaml. Exit 1 on any leak.",
  shared: ["json", "quiet"],
  args: ARGS,
  async run({ args, env, deps }) {
    if (args.staged && (args.since !== undefined || args["worktree-only"]))
      throw new UsageError("--staged scans the index alone; drop --since and --worktree-only");
    if (args.since !== undefined && args["worktree-only"])
      throw new UsageError("--since limits the history scan; drop --worktree-only");
    const sources: ScanSource[] = args.staged
      ? ["staged"]
      : args["worktree-only"]
        ? ["worktree"]
        : ["worktree", "history"];
    let report: SecretScanReport;
    try {
      report = await scanSecrets({
        cwd: repoDir(args.repo, env, deps.cwd),
        sources,
        since: args.since,
        allowlistFile:
          args.allowlist === undefined
            ? undefined
            : resolve(startDir(env, deps.cwd), args.allowlist),
      });
    } catch (error) {
      throw asCommandError(error);
    }
    const notes: string[] = [];
    if (args.sarif !== undefined) {
      const file = resolve(startDir(env, deps.cwd), args.sarif);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(toSarif(report), null, 2)}\n`);
      notes.push(`(SARIF for GitHub code scanning written to ${args.sarif})`);
    }
    return { findings: reportFindings(report), report, text: summary(report), notes };
  },
});

runAsMain(module, secretsScan);
