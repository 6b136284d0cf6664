import { describe, expect, it } from "vitest";
import type { FolderMigration } from "../../../infra/migrations/folder";
import type { MigrationRow, PrismaTableRead } from "../../../infra/migrations/prisma-table";
import {
  migrationFindings,
  migrationStatus,
  renderMigrationSummary,
} from "../../../infra/migrations/status";

const row = (name: string, over: Partial<MigrationRow> = {}): MigrationRow => ({
  name,
  checksum: `sum-${name}`,
  startedAt: "2026-03-01T10:00:00.000Z",
  finishedAt: "2026-03-01T10:00:01.000Z",
  appliedStepsCount: 1,
  ...over,
});
const local = (name: string, checksum = `sum-${name}`): FolderMigration => ({
  name,
  checksum,
  checksumLf: checksum,
});
const read = (rows: MigrationRow[]): PrismaTableRead => ({
  state: "read",
  table: "public._prisma_migrations",
  rows,
  otherTables: [],
});

describe("migrationStatus", () => {
  it("applied, failed and rolled back from the table alone", () => {
    const status = migrationStatus(
      read([
        row("1_init"),
        row("2_orders", { finishedAt: undefined, appliedStepsCount: 0 }),
        row("3_index", { finishedAt: undefined, rolledBackAt: "2026-03-02T00:00:00.000Z" }),
      ]) as Exclude<PrismaTableRead, { state: "unreadable" }>,
    );
    expect(status.migrations.map((m) => [m.name, m.state])).toEqual([
      ["1_init", "applied"],
      ["2_orders", "failed"],
      ["3_index", "rolled-back"],
    ]);
    expect(status.comparedWithFolder).toBe(false);
  });

  it("a failed attempt that was rolled back and applied again is applied", () => {
    const status = migrationStatus({
      state: "read",
      table: "t",
      otherTables: [],
      rows: [
        row("2_orders", { finishedAt: undefined, rolledBackAt: "2026-03-01T11:00:00.000Z" }),
        row("2_orders", { startedAt: "2026-03-01T12:00:00.000Z" }),
      ],
    });
    expect(status.migrations).toEqual([
      expect.objectContaining({ name: "2_orders", state: "applied" }),
    ]);
  });

  it("against a folder: pending, edited, and applied ones the folder lacks", () => {
    const status = migrationStatus(
      {
        state: "read",
        table: "t",
        otherTables: [],
        rows: [row("1_init"), row("2_orders"), row("0_gone")],
      },
      [local("1_init"), local("2_orders", "other"), local("3_new")],
    );
    expect(Object.fromEntries(status.migrations.map((m) => [m.name, m.state]))).toEqual({
      "0_gone": "not-in-folder",
      "1_init": "applied",
      "2_orders": "modified",
      "3_new": "pending",
    });
    expect(status.counts).toMatchObject({
      applied: 1,
      pending: 1,
      modified: 1,
      "not-in-folder": 1,
    });
  });

  it("accepts a checksum of the file with LF line ends (a Windows checkout is not an edit)", () => {
    const status = migrationStatus(read([row("1_init", { checksum: "lf" })]) as never, [
      { name: "1_init", checksum: "crlf", checksumLf: "lf" },
    ]);
    expect(status.migrations[0]!.state).toBe("applied");
  });

  it("every folder migration is pending when the database has no table yet", () => {
    const status = migrationStatus({ state: "absent" }, [local("1_init"), local("2_orders")]);
    expect(status.table).toBeNull();
    expect(status.counts.pending).toBe(2);
  });
});

describe("migrationFindings", () => {
  it("a failed migration is high, with both `prisma migrate resolve` fixes and the error's first line", () => {
    const findings = migrationFindings(
      read([
        row("2_orders", {
          finishedAt: undefined,
          appliedStepsCount: 1,
          logs: '\nDatabase error code: 42P07\nrelation "orders" already exists',
        }),
      ]),
      undefined,
    );
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f).toMatchObject({ id: "resolve-failed-migration", severity: "high" });
    expect(f!.message).toContain("migration 2_orders failed after 1 step(s)");
    expect(f!.fix).toContain("npx prisma migrate resolve --applied 2_orders");
    expect(f!.fix).toContain("npx prisma migrate resolve --rolled-back 2_orders");
    expect(f!.details).toEqual(["error: Database error code: 42P07"]);
  });

  it("pending ones are medium and point at db:deploy", () => {
    const [f] = migrationFindings(read([row("1_init")]), [local("1_init"), local("2_new")]);
    expect(f).toMatchObject({ id: "apply-pending-migrations", severity: "medium" });
    expect(f!.message).toBe("1 migration(s) not applied: 2_new");
    expect(f!.fix).toContain("npm run db:deploy");
  });

  it("a rolled-back migration is pending, saying why", () => {
    const [f] = migrationFindings(
      read([row("3_index", { finishedAt: undefined, rolledBackAt: "2026-03-02T00:00:00.000Z" })]),
      undefined,
    );
    expect(f).toMatchObject({ id: "apply-pending-migrations" });
    expect(f!.details).toEqual(["3_index was rolled back; the next deploy applies it again"]);
  });

  it("an edited migration names its file", () => {
    const findings = migrationFindings(
      read([row("1_init")]),
      [local("1_init", "x")],
      "prisma/migrations",
    );
    expect(findings).toEqual([
      expect.objectContaining({
        id: "restore-edited-migration",
        subject: "prisma/migrations/1_init/migration.sql",
      }),
    ]);
  });

  it("all applied is one info line, with the latest", () => {
    const findings = migrationFindings(read([row("1_init"), row("2_orders")]), [
      local("1_init"),
      local("2_orders"),
    ]);
    expect(findings).toEqual([
      expect.objectContaining({
        severity: "info",
        message:
          "2 migration(s) applied, latest 2_orders at 2026-03-01T10:00:01.000Z, none pending",
      }),
    ]);
  });

  it("no table and no folder: skipped, never reported as healthy", () => {
    const [f] = migrationFindings({ state: "absent" }, undefined);
    expect(f).toMatchObject({ severity: "info", couldNotCheck: true });
  });

  it("an unreadable table could not be checked (medium)", () => {
    const [f] = migrationFindings(
      { state: "unreadable", table: "public._prisma_migrations", error: "permission denied" },
      undefined,
    );
    expect(f).toMatchObject({ severity: "medium", couldNotCheck: true });
    expect(f!.fix).toContain("grant the checking role SELECT on public._prisma_migrations");
  });

  it("names other schemas' tables it did not read", () => {
    const findings = migrationFindings(
      {
        state: "read",
        table: "app._prisma_migrations",
        rows: [row("1")],
        otherTables: ["old._prisma_migrations"],
      },
      undefined,
    );
    expect(findings.at(-1)).toMatchObject({ severity: "low" });
    expect(findings.at(-1)!.message).toContain("old._prisma_migrations");
  });
});

describe("renderMigrationSummary", () => {
  it("counts by state", () => {
    const status = migrationStatus(
      {
        state: "read",
        table: "public._prisma_migrations",
        otherTables: [],
        rows: [row("1"), row("2", { finishedAt: undefined })],
      },
      [local("1"), local("2"), local("3")],
    );
    expect(renderMigrationSummary(status)).toBe(
      "migrations (public._prisma_migrations): 1 applied, 1 pending, 1 failed",
    );
  });
});
