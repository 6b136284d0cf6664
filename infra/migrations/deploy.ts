/**
 * The runbook's "Run Migrations if Needed", made safe:
 *   1. read the migration status; a failed migration stops everything (Prisma
 *      would refuse anyway), and nothing pending means nothing to do;
 *   2. take a pre-change backup, or stop: never migrate without one unless
 *      told to (`skipBackup`);
 *   3. run the app's migration command with a lock timeout;
 *   4. if it fails, stop with the restore command;
 *   5. read the status and RLS coverage again, lint RLS, and say what the
 *      migration changed.
 * Every outside effect is a dependency, so the order and the stops are
 * tested without a database; the command wires the real ones.
 */
import type { Finding } from "../lib/findings";
import type { Progress } from "../lib/progress";
import type { FolderMigration } from "./folder";
import type { PrismaTableRead } from "./prisma-table";
import { coverageChanges, type RlsCoverage } from "./rls-coverage";
import type { MigrationCommandResult } from "./run-command";
import type { PreChangeBackupResult } from "./sources";
import { migrationFindings, migrationStatus, type MigrationStatus } from "./status";

export interface DeployInput {
  /** host:port/database, for messages. */
  target: string;
  command: string;
  appDir: string;
  /** The migrations folder, when one was found (then pending ones are known before running). */
  folder?: { shown: string; migrations: FolderMigration[] };
  skipBackup: boolean;
  /** Why there is no backup source, for the message that stops the deploy. */
  backupMissingReason: string;
  /** Printed when there is no pre-change backup to restore from. */
  fallbackRestore: string;
}

export interface DeployDeps {
  readStatus(): Promise<PrismaTableRead>;
  readCoverage(): Promise<RlsCoverage>;
  lint(): Promise<Finding[]>;
  runMigration(): Promise<MigrationCommandResult>;
  /** The pre-change backup (`DeploySources.backup`, bound to the database); absent when no area provides one. */
  backup?: () => Promise<PreChangeBackupResult>;
  progress: Progress;
}

export type DeployOutcome =
  | "nothing-to-do"
  | "stopped-failed-migration"
  | "stopped-no-backup"
  | "stopped-backup-failed"
  | "command-not-run"
  | "migration-failed"
  | "migrated";

export interface DeployReport {
  outcome: DeployOutcome;
  before?: MigrationStatus;
  after?: MigrationStatus;
  backup?: PreChangeBackupResult;
  migration?: { exitCode: number | null; timedOut: boolean; durationMs: number };
}

const STEPS = 5;
const subjectOf = (input: DeployInput) => `db:deploy ${input.target}`;

function readable(read: PrismaTableRead): Exclude<PrismaTableRead, { state: "unreadable" }> {
  if (read.state === "unreadable")
    throw new Error(`could not read ${read.table}: ${read.error}; connect as the database owner`);
  return read;
}

function restoreLine(backup: PreChangeBackupResult | undefined, input: DeployInput): string {
  return backup
    ? `restore the pre-change backup (${backup.location}): ${backup.restoreCommand}`
    : input.fallbackRestore;
}

export async function deployMigrations(
  input: DeployInput,
  deps: DeployDeps,
): Promise<{ report: DeployReport; findings: Finding[] }> {
  const subject = subjectOf(input);
  const folder = input.folder?.migrations;

  deps.progress.step(1, STEPS, "read the migration status");
  const beforeRead = readable(await deps.readStatus());
  const before = migrationStatus(beforeRead, folder);
  if (before.counts.failed > 0) {
    const findings = migrationFindings(beforeRead, folder, input.folder?.shown).filter(
      (f) => f.id === "resolve-failed-migration",
    );
    findings.push({
      id: "deploy-migrations",
      severity: "high",
      subject,
      message:
        "db:deploy stopped before changing anything: a failed migration must be resolved first",
      fix: "resolve it as the finding above says, then run db:deploy again",
    });
    return { report: { outcome: "stopped-failed-migration", before }, findings };
  }
  if (folder && before.counts.pending + before.counts["rolled-back"] === 0)
    return {
      report: { outcome: "nothing-to-do", before },
      findings: [
        {
          id: "deploy-migrations",
          severity: "info",
          subject,
          message: `nothing to deploy: all ${before.counts.applied} migration(s) in ${input.folder!.shown} are applied`,
          fix: "",
        },
      ],
    };

  deps.progress.step(2, STEPS, "take a pre-change backup");
  let backup: PreChangeBackupResult | undefined;
  const findings: Finding[] = [];
  if (!deps.backup) {
    if (!input.skipBackup)
      return {
        report: { outcome: "stopped-no-backup", before },
        findings: [
          {
            id: "take-pre-change-backup",
            severity: "high",
            subject,
            message: `could not take a pre-change backup: ${input.backupMissingReason}; nothing was migrated`,
            fix: 'take a backup yourself (e.g. pg_dump --format=custom --file=pre-migration.dump "$DATABASE_URL"), then run again with --skip-backup',
            couldNotCheck: true,
          },
        ],
      };
    findings.push({
      id: "take-pre-change-backup",
      severity: "low",
      subject,
      message: `migrating without a pre-change backup (--skip-backup; ${input.backupMissingReason})`,
      fix: "",
    });
  } else {
    try {
      backup = await deps.backup();
    } catch (error) {
      return {
        report: { outcome: "stopped-backup-failed", before },
        findings: [
          {
            id: "take-pre-change-backup",
            severity: "high",
            subject,
            message: `the pre-change backup failed: ${(error as Error).message}; nothing was migrated`,
            fix: "fix the backup first (npm run backup:status), then run db:deploy again",
            couldNotCheck: true,
          },
        ],
      };
    }
    findings.push({
      id: "take-pre-change-backup",
      severity: "info",
      subject,
      message: `pre-change backup taken: ${backup.location}`,
      details: [`restore with: ${backup.restoreCommand}`],
      fix: "",
    });
  }

  deps.progress.step(3, STEPS, `run the migration command: ${input.command}`);
  const coverageBefore = await deps.readCoverage();
  const result = await deps.runMigration();
  const migration = {
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    durationMs: result.durationMs,
  };
  const shownTail = result.tail.filter((l) => l.trim() !== "").slice(-15);
  if (result.exitCode === 127 && !result.timedOut)
    return {
      report: { outcome: "command-not-run", before, backup, migration },
      findings: [
        ...findings,
        {
          id: "deploy-migrations",
          severity: "high",
          subject,
          message: `the migration command was not found: ${input.command} (in ${input.appDir})`,
          details: shownTail,
          fix: "install the app's dependencies in --app-dir (npm ci), or set runbooks:database.migrateCommand (or --command)",
          couldNotCheck: true,
        },
      ],
    };

  deps.progress.step(4, STEPS, "read the migration status again");
  const afterRead = readable(await deps.readStatus());
  const after = migrationStatus(afterRead, folder);
  const statusAfter = migrationFindings(afterRead, folder, input.folder?.shown).filter(
    (f) => f.id !== "migration-status" || f.severity !== "info",
  );
  if (result.exitCode !== 0 || result.timedOut) {
    findings.push({
      id: "deploy-migrations",
      severity: "critical",
      subject,
      message: result.timedOut
        ? `the migration command was stopped after ${Math.round(result.durationMs / 1000)} s: the database may be half-migrated`
        : `the migration command failed (exit ${result.exitCode}): the database may be half-migrated`,
      details: shownTail,
      fix: `stop here and decide: ${restoreLine(backup, input)}; or fix the migration and resolve it (see below), then run db:deploy again`,
    });
    return {
      report: { outcome: "migration-failed", before, after, backup, migration },
      findings: [...findings, ...statusAfter],
    };
  }

  deps.progress.step(5, STEPS, "check row-level security after the migration");
  const [coverageAfter, lint] = await Promise.all([deps.readCoverage(), deps.lint()]);
  const applied = after.migrations
    .filter(
      (m) =>
        m.state === "applied" &&
        !before.migrations.some((b) => b.name === m.name && b.state === "applied"),
    )
    .map((m) => m.name);
  findings.push({
    id: "deploy-migrations",
    severity: "info",
    subject,
    message: `migrated in ${Math.round(result.durationMs / 1000)} s: ${applied.length ? `${applied.length} migration(s) applied: ${applied.join(", ")}` : "no new migration recorded in _prisma_migrations"}`,
    fix: "",
  });
  const stillPending = statusAfter.find((f) => f.id === "apply-pending-migrations");
  if (stillPending) stillPending.severity = "high";
  return {
    report: { outcome: "migrated", before, after, backup, migration },
    findings: [
      ...findings,
      ...statusAfter,
      ...coverageChanges(coverageBefore, coverageAfter),
      ...lint,
    ],
  };
}
