/**
 * The runbook's backup commands as functions: each takes resolved settings
 * (settings.ts), an optional clock and progress callback, and returns the
 * one finding shape, a report and the exit code (0 ok, 1 a problem found,
 * 2 could not check). The commands in scripts/ declare the flags and hand
 * the findings and lines to the runner, whose exit code from the findings is
 * the same (each declares the failing level that makes it so).
 */
import type { Finding } from "../lib/findings";
import { closePools } from "../postgres/client";
import { runBackup, type BackupReport } from "./backup";
import { runDrill, type DrillOptions, type DrillReport } from "./drill";
import { IncompleteListingError } from "./listing";
import { BackupSetupError } from "./pg-tools";
import { formatBytes, type ProgressCallback } from "./progress";
import { pruneBackups, type PruneReport } from "./prune";
import { RestoreRefusedError, runRestore, type RestoreReport } from "./restore";
import { describeLocation } from "./s3";
import { backupList, backupStatus, type ListReport, type StatusReport } from "./status";
import { requireUrl, type BackupSettings } from "./settings";

export type ExitCode = 0 | 1 | 2;

export interface CommandResult<R> {
  exitCode: ExitCode;
  findings: Finding[];
  report?: R;
  /** Human-readable lines (the --json form is the whole result). */
  lines: string[];
}

export interface CommandIo {
  clock?: () => Date;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** The process exits after this command: it may yield the CPU to pg_dump (BackupOptions.yieldCpu). */
  yieldCpu?: boolean;
}

/** An error as a finding: setup errors carry their own id and fix. */
export function errorFinding(error: unknown, subject: string, fallbackId: string): Finding {
  if (error instanceof BackupSetupError)
    return {
      id: error.id,
      severity: "critical",
      couldNotCheck: true,
      subject,
      message: error.message.replace(/ Fix: .*$/s, ""),
      fix: error.fix,
    };
  const message = error instanceof Error ? error.message : String(error);
  return {
    id: fallbackId,
    severity: "critical",
    couldNotCheck: true,
    subject,
    message,
    fix:
      error instanceof IncompleteListingError
        ? "retry; nothing was deleted"
        : "read the message above; nothing was replaced: the previous latest backup is untouched",
  };
}

function failed<R>(error: unknown, subject: string, id: string): CommandResult<R> {
  // The finding says it all; the runner prints it (and exits 2: the command could not run).
  return { exitCode: 2, findings: [errorFinding(error, subject, id)], lines: [] };
}

export async function backupCommand(
  settings: BackupSettings,
  io: CommandIo = {},
): Promise<CommandResult<BackupReport>> {
  const subject = describeLocation(settings.location);
  try {
    const report = await runBackup({
      databaseUrl: requireUrl(settings.databaseUrl, "database to back up"),
      location: settings.location,
      stack: settings.stack,
      jobs: settings.jobs,
      lockWaitTimeoutSeconds: settings.lockWaitTimeoutSeconds,
      exactCountMaxRows: settings.exactCountMaxRows,
      encryptionKey: settings.encryptionKey,
      metric: settings.metric,
      clock: io.clock,
      onProgress: io.onProgress,
      signal: io.signal,
      env: io.env,
      yieldCpu: io.yieldCpu,
    });
    const m = report.manifest;
    const findings: Finding[] = [
      {
        id: "require-verified-backup",
        severity: "info",
        subject: report.manifestKey,
        message: `backup ${report.id}: ${formatBytes(m.size)} in ${m.objects.length} object(s), ${m.tables.length} tables, ${report.verifiedBy === "read back" ? "read back and verified" : "confirmed by S3's checksum of what it stored"} (sha256 ${m.sha256.slice(0, 16)}…)`,
        fix: "nothing to do",
      },
    ];
    if (!settings.metric)
      findings.push({
        id: "require-freshness-metric",
        severity: "info",
        subject: settings.stack ?? "(no stack)",
        message:
          "the freshness metric was not published (no stack, or a custom S3 endpoint without CLOUDWATCH_ENDPOINT)",
        fix: "pass --stack <name> where the stale-backup alarm watches the metric",
      });
    return {
      exitCode: 0,
      findings,
      report,
      lines: [
        `backup ${report.id} → s3://${settings.location.bucket}/${report.manifestKey}`,
        `  ${formatBytes(m.size)}, ${m.objects.length} object(s), ${m.tables.length} tables, ${m.largeObjects} large objects, dump ${report.seconds.dump} s, verify ${report.seconds.verify} s`,
        `  sha256 ${m.sha256}`,
        `  latest.json ${report.latestUpdated ? "now points to it" : "kept (a newer backup finished first)"}; metric ${report.metric}`,
        ...report.lockWaits.map((w) => `  waited behind a lock: ${w}`),
        ...report.abortedOrphans.map((k) => `  aborted the orphaned upload of a dead run: ${k}`),
      ],
    };
  } catch (error) {
    return failed(error, subject, "require-successful-backup");
  } finally {
    await closePools();
  }
}

export async function restoreCommand(
  settings: BackupSettings,
  choice: { from?: string; at?: Date; tables?: string[]; force: boolean; noOwner?: boolean },
  io: CommandIo = {},
): Promise<CommandResult<RestoreReport>> {
  const subject = describeLocation(settings.location);
  try {
    const report = await runRestore({
      databaseUrl: requireUrl(settings.databaseUrl, "target database"),
      location: settings.location,
      ...choice,
      encryptionKey: settings.encryptionKey,
      onProgress: io.onProgress,
      signal: io.signal,
      env: io.env,
    });
    const mismatched = report.tables.filter((t) => !t.matches);
    const findings: Finding[] = mismatched.map((t) => ({
      id: "require-row-counts-to-match-manifest",
      severity: t.exact ? "high" : "medium",
      subject: `${t.schema}.${t.table}`,
      message: `restored ${t.restored} rows; the manifest says ${t.rows} (${t.exact ? "exact" : "estimate"})`,
      fix: "compare with the source; an estimate may drift, an exact count must not",
    }));
    return {
      exitCode: findings.some((f) => f.severity === "high") ? 1 : 0,
      findings,
      report,
      lines: [
        `restored ${report.id} into ${report.target} (${report.mode}, ${formatBytes(report.bytes)} verified, ${report.seconds} s)`,
        ...report.tables.map(
          (t) =>
            `  ${t.matches ? "ok  " : "DIFF"} ${`${t.schema}.${t.table}`.padEnd(40)} ${String(t.restored).padStart(10)} rows (manifest ${t.rows}${t.exact ? "" : ", estimate"})`,
        ),
        ...(report.replaced.length ? [`  replaced (--force): ${report.replaced.join(", ")}`] : []),
      ],
    };
  } catch (error) {
    if (error instanceof RestoreRefusedError) {
      const finding: Finding = {
        id: "require-empty-restore-target",
        severity: "high",
        subject: "target database",
        message: error.message,
        fix: "restore into an empty database, or pass --force to replace the listed tables",
        details: error.wouldReplace,
      };
      return { exitCode: 1, findings: [finding], lines: [] };
    }
    return failed(error, subject, "require-successful-restore");
  } finally {
    await closePools();
  }
}

export async function verifyCommand(
  settings: BackupSettings,
  options: { from?: string; rls?: DrillOptions["rls"] },
  io: CommandIo = {},
): Promise<CommandResult<DrillReport>> {
  try {
    const report = await runDrill({
      scratchServerUrl: requireUrl(
        settings.scratchServerUrl,
        "server for the scratch database (a role with CREATEDB)",
      ),
      location: settings.location,
      from: options.from,
      encryptionKey: settings.encryptionKey,
      rls: options.rls,
      onProgress: io.onProgress,
      env: io.env,
    });
    return {
      exitCode: report.passed ? 0 : 1,
      findings: report.findings,
      report,
      lines: [
        `${report.passed ? "PASS" : "FAIL"} restore drill of ${report.backupId ?? "the latest backup"} into scratch database ${report.scratchDatabase} (dropped)`,
        `  restore ${report.seconds.restore.toFixed(1)} s, checks ${report.seconds.checks.toFixed(1)} s, total ${report.seconds.total.toFixed(1)} s`,
        `  row counts: ${report.restore ? `${report.restore.tables.filter((t) => t.matches).length}/${report.restore.tables.length} tables match the manifest` : "not compared"}`,
        `  RLS: ${report.rls.skipped ?? `${report.rls.lintFindings} lint findings, ${report.rls.smokeMismatches} smoke mismatches`}`,
      ],
    };
  } catch (error) {
    return failed(error, describeLocation(settings.location), "require-restorable-backup");
  } finally {
    await closePools();
  }
}

export async function pruneCommand(
  settings: BackupSettings,
  options: { dryRun: boolean },
  io: CommandIo = {},
): Promise<CommandResult<PruneReport>> {
  try {
    const report = await pruneBackups({
      location: settings.location,
      policy: settings.retention,
      dryRun: options.dryRun,
      clock: io.clock,
    });
    const verb = report.dryRun ? "would delete" : "deleted";
    return {
      exitCode: 0,
      findings: report.locked.map((l) => ({
        id: "respect-object-lock",
        severity: "info",
        subject: l.key,
        message: `kept: Object Lock ${l.legalHold ? "legal hold" : `retention until ${l.until}`}`,
        fix: "nothing to do: it expires on its own",
      })),
      report,
      lines: [
        `${report.listed} backups listed (every page); ${report.decisions.filter((d) => d.action === "keep").length} kept, ${report.decisions.filter((d) => d.action === "delete").length} ${verb} (${report.deleted.length} objects)`,
        ...report.decisions.map(
          (d) =>
            `  ${d.action === "keep" ? "keep  " : report.dryRun ? "would delete" : "delete"} ${d.id}  ${formatBytes(d.size)}  ${d.reasons.join("; ")}`,
        ),
        ...report.abortedOrphans.map((k) => `  aborted the orphaned upload of a dead run: ${k}`),
      ],
    };
  } catch (error) {
    return failed(error, describeLocation(settings.location), "require-complete-listing");
  }
}

export async function statusCommand(
  settings: BackupSettings,
  io: CommandIo = {},
): Promise<CommandResult<StatusReport>> {
  try {
    const report = await backupStatus({
      location: settings.location,
      maxAgeHours: settings.maxAgeHours,
      clock: io.clock,
    });
    const problem = report.findings.some((f) => f.severity !== "info");
    return {
      exitCode: problem ? 1 : 0,
      findings: report.findings,
      report,
      lines: [
        report.latest
          ? `latest backup ${report.latest.id}: ${report.latest.ageHours} h old (limit ${report.maxAgeHours} h), ${formatBytes(report.latest.size)}, ${report.latest.tables} tables, ${report.location}`
          : `no backup under ${report.location}`,
      ],
    };
  } catch (error) {
    return failed(error, describeLocation(settings.location), "require-recent-backup");
  }
}

export async function listCommand(settings: BackupSettings): Promise<CommandResult<ListReport>> {
  try {
    const report = await backupList({ location: settings.location });
    return {
      exitCode: 0,
      findings: [],
      report,
      lines: [
        `${report.backups.length} backup folders under ${report.location}`,
        ...report.backups.map(
          (b) =>
            `  ${b.latest ? "*" : " "} ${b.id}  ${b.complete ? "complete  " : "incomplete"}  ${formatBytes(b.size)}`,
        ),
        ...(report.latestId ? ["  (* = latest.json)"] : []),
      ],
    };
  } catch (error) {
    return failed(error, describeLocation(settings.location), "require-complete-listing");
  }
}
