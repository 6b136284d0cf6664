/**
 * Migration status: what Prisma applied, what failed half-way, and (given
 * the app's migrations folder) what is still pending or was edited after it
 * was applied. Pure: the table and the folder are read elsewhere.
 *
 * Prisma's rules, which this follows: a row with `finished_at` and no
 * `rolled_back_at` is applied; a row with neither is a failed (or still
 * running) attempt, and `migrate deploy` refuses to run until it is resolved
 * (error P3009); a rolled-back row is applied again by the next deploy.
 */
import type { Finding } from "../lib/findings";
import type { FolderMigration } from "./folder";
import type { MigrationRow, PrismaTableRead } from "./prisma-table";

export type MigrationState =
  "applied" | "failed" | "rolled-back" | "pending" | "modified" | "not-in-folder";

export interface MigrationStatusEntry {
  name: string;
  state: MigrationState;
  startedAt?: string;
  finishedAt?: string;
  appliedStepsCount?: number;
}

export interface MigrationStatus {
  /** `schema._prisma_migrations`, or null when the database has none. */
  table: string | null;
  /** Whether a migrations folder was compared. */
  comparedWithFolder: boolean;
  migrations: MigrationStatusEntry[];
  counts: Record<MigrationState, number>;
}

/** Where a fix runs: `npx prisma …` needs the app checkout and its DATABASE_URL. */
const PRISMA = "npx prisma migrate";

function stateOf(rows: MigrationRow[]): { state: MigrationState; row: MigrationRow } {
  const applied = rows.filter((r) => r.finishedAt && !r.rolledBackAt);
  if (applied.length > 0) return { state: "applied", row: applied[applied.length - 1]! };
  const last = rows[rows.length - 1]!;
  return { state: last.rolledBackAt ? "rolled-back" : "failed", row: last };
}

export function migrationStatus(
  read: Exclude<PrismaTableRead, { state: "unreadable" }>,
  folder?: readonly FolderMigration[],
): MigrationStatus {
  const rows = read.state === "read" ? read.rows : [];
  const byName = new Map<string, MigrationRow[]>();
  for (const r of rows) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  const entries: MigrationStatusEntry[] = [];
  const inFolder = new Map((folder ?? []).map((m) => [m.name, m]));
  const names = [...new Set([...(folder ?? []).map((m) => m.name), ...byName.keys()])].sort();
  for (const name of names) {
    const attempts = byName.get(name);
    const local = inFolder.get(name);
    if (!attempts) {
      entries.push({ name, state: "pending" });
      continue;
    }
    const { state, row } = stateOf(attempts);
    let shown: MigrationState = state;
    if (folder && !local) shown = state === "applied" ? "not-in-folder" : state;
    else if (
      state === "applied" &&
      local &&
      ![local.checksum, local.checksumLf].includes(row.checksum)
    )
      shown = "modified";
    entries.push({
      name,
      state: shown,
      startedAt: row.startedAt,
      ...(row.finishedAt ? { finishedAt: row.finishedAt } : {}),
      appliedStepsCount: row.appliedStepsCount,
    });
  }
  const counts: Record<MigrationState, number> = {
    applied: 0,
    failed: 0,
    "rolled-back": 0,
    pending: 0,
    modified: 0,
    "not-in-folder": 0,
  };
  for (const e of entries) counts[e.state]++;
  return {
    table: read.state === "read" ? read.table : null,
    comparedWithFolder: folder !== undefined,
    migrations: entries,
    counts,
  };
}

const list = (entries: MigrationStatusEntry[]) => entries.map((e) => e.name).join(", ");

/** The status as findings, each with its fix. `logs` of failed attempts are shown as their first line. */
export function migrationFindings(
  read: PrismaTableRead,
  folder: readonly FolderMigration[] | undefined,
  folderShown?: string,
): Finding[] {
  if (read.state === "unreadable")
    return [
      {
        id: "migration-status",
        severity: "medium",
        subject: read.table,
        message: `could not read ${read.table}: ${read.error}`,
        fix: `grant the checking role SELECT on ${read.table}, or connect as the database owner`,
        couldNotCheck: true,
      },
    ];
  const status = migrationStatus(read, folder);
  const subject = status.table ?? "_prisma_migrations";
  const findings: Finding[] = [];
  const rows = read.state === "read" ? read.rows : [];
  const by = (state: MigrationState) => status.migrations.filter((m) => m.state === state);

  if (status.table === null && !folder)
    return [
      {
        id: "migration-status",
        severity: "info",
        subject,
        message:
          "no _prisma_migrations table: this database is not managed by Prisma Migrate (or nothing was deployed yet)",
        fix: "",
        couldNotCheck: true,
      },
    ];

  for (const m of by("failed")) {
    const logs = rows.filter((r) => r.name === m.name && r.logs).pop()?.logs;
    findings.push({
      id: "resolve-failed-migration",
      severity: "high",
      subject: `${subject} ${m.name}`,
      message: `migration ${m.name} failed after ${m.appliedStepsCount ?? 0} step(s) (started ${m.startedAt}): the schema may be half-changed, and Prisma refuses every later deploy until it is resolved`,
      details: logs
        ? [
            `error: ${logs
              .split("\n")
              .find((l) => l.trim() !== "")
              ?.slice(0, 300)}`,
          ]
        : [],
      fix:
        `compare the schema with ${m.name}/migration.sql, then either finish it by hand and run ` +
        `\`${PRISMA} resolve --applied ${m.name}\`, or undo its partial changes and run ` +
        `\`${PRISMA} resolve --rolled-back ${m.name}\`; then npm run db:deploy`,
    });
  }
  const waiting = [...by("pending"), ...by("rolled-back")].sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  if (waiting.length > 0)
    findings.push({
      id: "apply-pending-migrations",
      severity: "medium",
      subject,
      message: `${waiting.length} migration(s) not applied${status.table === null ? " (the database has no _prisma_migrations table yet)" : ""}: ${list(waiting)}`,
      details: by("rolled-back").map(
        (m) => `${m.name} was rolled back; the next deploy applies it again`,
      ),
      fix: "apply them with a backup first: npm run db:deploy -- --stack <stack>",
    });
  for (const m of by("modified"))
    findings.push({
      id: "restore-edited-migration",
      severity: "medium",
      subject: `${folderShown ?? "migrations"}/${m.name}/migration.sql`,
      message: `migration ${m.name} was edited after it was applied (its checksum differs from the one Prisma recorded)`,
      fix: "restore the applied version from git history; change the schema with a new migration, never by editing an applied one",
    });
  const orphans = by("not-in-folder");
  if (orphans.length > 0)
    findings.push({
      id: "match-migrations-folder",
      severity: "medium",
      subject: folderShown ?? "migrations",
      message: `the database has ${orphans.length} applied migration(s) that ${folderShown ?? "the folder"} lacks: ${list(orphans)}`,
      fix: "check out the version of the app that is deployed (an older app against a newer schema can break), or restore the deleted migration folders",
    });
  if (findings.length === 0) {
    const applied = by("applied");
    const latest = applied[applied.length - 1];
    findings.push({
      id: "migration-status",
      severity: "info",
      subject,
      message: `${applied.length} migration(s) applied${latest ? `, latest ${latest.name} at ${latest.finishedAt}` : ""}${folder ? ", none pending" : " (pass --migrations <dir> to find pending ones)"}`,
      fix: "",
    });
  }
  if (read.state === "read" && read.otherTables.length > 0)
    findings.push({
      id: "migration-status",
      severity: "low",
      subject,
      message: `read ${read.table}; other schemas have one too: ${read.otherTables.join(", ")}`,
      fix: "put the app's schema first on the search path (Prisma's ?schema=) to check another one",
    });
  return findings;
}

/** One line for a report header. */
export function renderMigrationSummary(status: MigrationStatus): string {
  const c = status.counts;
  if (status.table === null && !status.comparedWithFolder)
    return "migrations: no _prisma_migrations table";
  const parts = [`${c.applied} applied`];
  if (status.comparedWithFolder) parts.push(`${c.pending + c["rolled-back"]} pending`);
  else if (c["rolled-back"]) parts.push(`${c["rolled-back"]} rolled back`);
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.modified) parts.push(`${c.modified} edited`);
  if (c["not-in-folder"]) parts.push(`${c["not-in-folder"]} not in the folder`);
  return `migrations (${status.table ?? "no _prisma_migrations table"}): ${parts.join(", ")}`;
}
