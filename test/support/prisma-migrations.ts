/**
 * Prisma Migrate's bookkeeping, made by hand for tests: the
 * `_prisma_migrations` table with the DDL Prisma creates, rows in each state
 * Prisma writes (applied, failed half-way, rolled back), and a migrations
 * folder laid out as `prisma migrate dev` leaves it.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "pg";

/** The table as Prisma Migrate creates it (PostgreSQL connector). */
export const PRISMA_MIGRATIONS_DDL = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
);`;

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export interface RowSpec {
  name: string;
  sql: string;
  state: "applied" | "failed" | "rolled-back";
  startedAt?: string;
  logs?: string;
}

export async function insertMigrationRow(client: Client, row: RowSpec): Promise<void> {
  const started = row.startedAt ?? new Date().toISOString();
  await client.query(
    `insert into _prisma_migrations
       (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
     values (gen_random_uuid()::text, $1, $2, $3, $4, $5, $6, $7)`,
    [
      sha256(row.sql),
      row.state === "applied" ? started : null,
      row.name,
      row.logs ?? null,
      row.state === "rolled-back" ? started : null,
      started,
      row.state === "applied" ? 1 : 0,
    ],
  );
}

/** `<dir>/<name>/migration.sql` per entry, and the lock file Prisma writes. */
export function writeMigrationsFolder(dir: string, migrations: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "migration_lock.toml"), 'provider = "postgresql"\n');
  for (const [name, sql] of Object.entries(migrations)) {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, "migration.sql"), sql);
  }
}
