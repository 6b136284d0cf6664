/**
 * db:status's migration status on a real Postgres: a `_prisma_migrations`
 * table with applied, failed and rolled-back rows, compared with a real
 * migrations folder (pending, edited, and one the folder lacks); a role that
 * may not read the table; bad input.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Finding } from "../../../infra/lib/findings";
import { createTestDatabase } from "../../../infra/local/postgres";
import { dbStatus } from "../../../scripts/db-status";
import { runScript } from "../checks/helpers";
import {
  insertMigrationRow,
  PRISMA_MIGRATIONS_DDL,
  writeMigrationsFolder,
} from "../../support/prisma-migrations";
import { services } from "../../support/services";

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;
let withTable: TestDb;
let clean: TestDb;
let bare: TestDb;
const scratch = mkdtempSync(join(tmpdir(), "runbooks-db-status-migrations-"));

const SQL = {
  init: "create table accounts (id bigint primary key);\n",
  orders: "create table orders (id bigint primary key);\n",
  index: "create index accounts_id on accounts (id);\n",
  late: "alter table accounts add column name text;\n",
};

async function admin(url: string): Promise<Client> {
  const c = new Client({ connectionString: url });
  await c.connect();
  return c;
}

beforeAll(async () => {
  withTable = await createTestDatabase(services().postgres.adminUrl, "mig");
  clean = await createTestDatabase(services().postgres.adminUrl, "migok");
  bare = await createTestDatabase(services().postgres.adminUrl, "migbare");
  const c = await admin(withTable.url);
  try {
    await c.query(PRISMA_MIGRATIONS_DDL);
    await insertMigrationRow(c, {
      name: "20260101000000_init",
      sql: SQL.init,
      state: "applied",
      startedAt: "2026-01-01T00:00:00Z",
    });
    await insertMigrationRow(c, {
      name: "20260102000000_orders",
      sql: SQL.orders,
      state: "failed",
      startedAt: "2026-01-02T00:00:00Z",
      logs: 'Database error code: 42P07\n\nDatabase error:\nERROR: relation "orders" already exists',
    });
    await insertMigrationRow(c, {
      name: "20260103000000_index",
      sql: SQL.index,
      state: "rolled-back",
      startedAt: "2026-01-03T00:00:00Z",
    });
  } finally {
    await c.end();
  }
  const ok = await admin(clean.url);
  try {
    await ok.query(PRISMA_MIGRATIONS_DDL);
    // As on Supabase: in public, the table is reachable by the API roles unless RLS is on
    // (db:status says so, as the case above shows). Prisma connects as the owner and is unaffected.
    await ok.query("alter table _prisma_migrations enable row level security");
    await insertMigrationRow(ok, { name: "20260101000000_init", sql: SQL.init, state: "applied" });
  } finally {
    await ok.end();
  }
});

afterAll(async () => {
  await Promise.all([withTable?.drop(), clean?.drop(), bare?.drop()]);
});

const status = (url: string, argv: string[] = []) =>
  runScript(dbStatus, ["--database-url", url, ...argv]);

const findings = (stdout: string) => (JSON.parse(stdout) as { findings: Finding[] }).findings;

describe("db:status migration status from _prisma_migrations", () => {
  it("finds the failed migration (exit 1) with its fix, and the rolled-back one as pending", async () => {
    const result = await status(withTable.url, ["--json"]);
    expect(result.code).toBe(1);
    const all = findings(result.stdout);
    const failed = all.find((f) => f.id === "resolve-failed-migration")!;
    expect(failed.severity).toBe("high");
    expect(failed.subject).toBe("public._prisma_migrations 20260102000000_orders");
    expect(failed.fix).toContain("npx prisma migrate resolve --rolled-back 20260102000000_orders");
    expect(failed.details).toEqual(["error: Database error code: 42P07"]);
    const pending = all.find((f) => f.id === "apply-pending-migrations")!;
    expect(pending.message).toBe("1 migration(s) not applied: 20260103000000_index");
  });

  it("prints the summary and the fix for a tired human", async () => {
    const result = await status(withTable.url);
    expect(result.stdout).toContain(
      "  migrations (public._prisma_migrations): 1 applied, 1 rolled back, 1 failed",
    );
    expect(result.stdout).toMatch(
      /HIGH {6}migration 20260102000000_orders failed after 0 step\(s\)/,
    );
    expect(result.stdout).toContain(
      "fix: compare the schema with 20260102000000_orders/migration.sql",
    );
  });

  it("compares with --migrations: pending, edited and missing from the folder", async () => {
    const dir = join(scratch, "folder-a", "migrations");
    writeMigrationsFolder(dir, {
      "20260101000000_init": `${SQL.init}-- edited after it was applied\n`,
      "20260102000000_orders": SQL.orders,
      "20260103000000_index": SQL.index,
      "20260104000000_late": SQL.late,
    });
    const result = await status(withTable.url, ["--migrations", dir, "--json"]);
    expect(result.code).toBe(1);
    const all = findings(result.stdout);
    expect(all.find((f) => f.id === "apply-pending-migrations")!.message).toBe(
      "2 migration(s) not applied: 20260103000000_index, 20260104000000_late",
    );
    expect(all.find((f) => f.id === "restore-edited-migration")!.subject).toBe(
      `${dir}/20260101000000_init/migration.sql`,
    );
    const lacking = await status(withTable.url, [
      "--migrations",
      join(scratch, "folder-b"),
      "--json",
    ]);
    expect(lacking.code).toBe(2);
    writeMigrationsFolder(join(scratch, "folder-b"), { "20260104000000_late": SQL.late });
    const missing = findings(
      (await status(withTable.url, ["--migrations", join(scratch, "folder-b"), "--json"])).stdout,
    );
    expect(missing.find((f) => f.id === "match-migrations-folder")!.message).toContain(
      "1 applied migration(s)",
    );
  });

  it("is all good (exit 0) when every migration in the folder is applied", async () => {
    const dir = join(scratch, "folder-ok");
    writeMigrationsFolder(dir, { "20260101000000_init": SQL.init });
    const result = await status(clean.url, ["--migrations", dir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("1 migration(s) applied, latest 20260101000000_init at");
    expect(result.stdout).toContain("none pending");
  });

  it("without the table: skipped, never healthy; with a folder, everything is pending", async () => {
    const plain = await status(bare.url, ["--json"]);
    const skipped = findings(plain.stdout).find((f) => f.id === "migration-status")!;
    expect(skipped).toMatchObject({ severity: "info", couldNotCheck: true });
    const dir = join(scratch, "folder-bare");
    writeMigrationsFolder(dir, { "20260101000000_init": SQL.init });
    const withFolder = await status(bare.url, ["--migrations", dir, "--json"]);
    expect(withFolder.code).toBe(1);
    expect(
      findings(withFolder.stdout).find((f) => f.id === "apply-pending-migrations")!.message,
    ).toContain("the database has no _prisma_migrations table yet");
  });

  it("a role that may not read the table gets could-not-check for migrations, and the rest still runs", async () => {
    const c = await admin(withTable.url);
    const role = `mig_reader_${process.pid}`;
    try {
      await c.query(`drop role if exists ${role}`);
      await c.query(`create role ${role} login password 'reader-pw-77'`);
      const url = new URL(withTable.url);
      url.username = role;
      url.password = "reader-pw-77";
      const result = await status(url.toString(), ["--json"]);
      const all = findings(result.stdout);
      const m = all.find((f) => f.id === "migration-status")!;
      expect(m).toMatchObject({ severity: "medium", couldNotCheck: true });
      expect(m.message).toContain("permission denied");
      // The rest of the status was read: connections are reported.
      expect(
        all.some((f) => f.id.startsWith("connections") || f.subject.includes("connections")),
      ).toBe(true);
      expect(result.stdout).not.toContain("reader-pw-77");
    } finally {
      await c.query(`drop owned by ${role}`).catch(() => undefined);
      await c.query(`drop role if exists ${role}`).catch(() => undefined);
      await c.end();
    }
  });
});
