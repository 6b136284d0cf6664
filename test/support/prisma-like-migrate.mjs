#!/usr/bin/env node
/**
 * A stand-in for `prisma migrate deploy` in tests (Prisma's engines cannot be
 * downloaded here), following its protocol on `_prisma_migrations`: refuse
 * to run while a migration is failed (P3009), apply each pending folder
 * migration as one script, record started/finished/logs as Prisma does, and
 * stop at the first failure (P3018). It connects with node-postgres, which
 * honours PGOPTIONS, as libpq does. On failure it also prints the
 * connection string, as careless tools do, so tests can prove db:deploy
 * masks it.
 *
 *   node prisma-like-migrate.mjs <migrations dir>
 */
/* global process, console */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";

const dir = process.argv[2] ?? "prisma/migrations";
const url = process.env.DATABASE_URL;
const client = new pg.Client({ connectionString: url });

async function main() {
  await client.connect();
  console.log(`Datasource: PostgreSQL (PGOPTIONS=${process.env.PGOPTIONS ?? ""})`);
  await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
  const rows = (await client.query("select * from _prisma_migrations order by started_at")).rows;
  const applied = new Set(
    rows.filter((r) => r.finished_at && !r.rolled_back_at).map((r) => r.migration_name),
  );
  const failed = rows.find(
    (r) => !r.finished_at && !r.rolled_back_at && !applied.has(r.migration_name),
  );
  if (failed) {
    console.error(
      `Error: P3009\n\nmigrate found failed migrations in the target database, new migrations will not be applied.\nThe \`${failed.migration_name}\` migration started at ${failed.started_at.toISOString()} failed`,
    );
    return 1;
  }
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "migration.sql")))
    .map((e) => e.name)
    .sort();
  console.log(`${names.length} migrations found in ${dir}`);
  for (const name of names) {
    if (applied.has(name)) continue;
    const sql = readFileSync(join(dir, name, "migration.sql"), "utf8");
    const id = randomUUID();
    await client.query(
      "insert into _prisma_migrations (id, checksum, migration_name, started_at) values ($1, $2, $3, now())",
      [id, createHash("sha256").update(sql).digest("hex"), name],
    );
    console.log(`Applying migration \`${name}\``);
    try {
      await client.query(sql);
    } catch (error) {
      const message = `Database error code: ${error.code}\n\nDatabase error:\nERROR: ${error.message}`;
      await client.query("update _prisma_migrations set logs = $2 where id = $1", [id, message]);
      console.error(
        `Error: P3018\n\nA migration failed to apply. New migrations cannot be applied before the error is recovered from.\n\nMigration name: ${name}\n\n${message}\n\n(connected to ${url})`,
      );
      return 1;
    }
    await client.query(
      "update _prisma_migrations set finished_at = now(), applied_steps_count = 1 where id = $1",
      [id],
    );
  }
  console.log("All migrations have been successfully applied.");
  return 0;
}

main()
  .then((code) => (process.exitCode = code))
  .catch((error) => {
    console.error(`Error: ${error.message}`);
    process.exitCode = 1;
  })
  .finally(() => client.end().catch(() => undefined));
