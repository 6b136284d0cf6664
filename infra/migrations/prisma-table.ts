/**
 * Prisma Migrate's own record of what it applied: the `_prisma_migrations`
 * table. One row per attempt: a migration that failed and was marked rolled
 * back, then applied again, has two rows.
 *
 * Read inside the caller's (read-only) transaction, behind a savepoint, so a
 * role that may not read the table gets "could not check" for migrations
 * and the rest of db:status still runs.
 */
import type { Queryable } from "../postgres/client";

export const PRISMA_MIGRATIONS_TABLE = "_prisma_migrations";

export interface MigrationRow {
  name: string;
  /** SHA-256 (hex) of the migration.sql that was applied. */
  checksum: string;
  /** ISO 8601. */
  startedAt: string;
  /** Absent while running, and for an attempt that failed. */
  finishedAt?: string;
  rolledBackAt?: string;
  appliedStepsCount: number;
  /** Prisma writes the error of a failed attempt here. */
  logs?: string;
}

export type PrismaTableRead =
  | { state: "absent" }
  | { state: "unreadable"; table: string; error: string }
  | { state: "read"; table: string; rows: MigrationRow[]; otherTables: string[] };

interface RawRow {
  migration_name: string;
  checksum: string;
  started_at: Date;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
  logs: string | null;
}

const quote = (ident: string) => `"${ident.replace(/"/g, '""')}"`;

export async function readPrismaMigrations(client: Queryable): Promise<PrismaTableRead> {
  // The datasource's schema is usually on the search path (Prisma's ?schema= sets it);
  // otherwise take the only table of that name, else the first by schema name.
  const found = await client.query(
    `select n.nspname as schema,
            n.nspname = any (current_schemas(false)) as on_path
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relname = $1 and c.relkind in ('r', 'p')
      order by on_path desc, n.nspname`,
    [PRISMA_MIGRATIONS_TABLE],
  );
  const schemas = (found.rows as { schema: string }[]).map((r) => r.schema);
  if (schemas.length === 0) return { state: "absent" };
  const table = `${schemas[0]}.${PRISMA_MIGRATIONS_TABLE}`;
  await client.query("savepoint runbooks_prisma_migrations");
  try {
    const result = await client.query(
      `select migration_name, checksum, started_at, finished_at, rolled_back_at,
              applied_steps_count, logs
         from ${quote(schemas[0]!)}.${quote(PRISMA_MIGRATIONS_TABLE)}
        order by started_at, migration_name`,
    );
    await client.query("release savepoint runbooks_prisma_migrations");
    const rows = (result.rows as RawRow[]).map((r): MigrationRow => ({
      name: r.migration_name,
      checksum: r.checksum,
      startedAt: r.started_at.toISOString(),
      ...(r.finished_at ? { finishedAt: r.finished_at.toISOString() } : {}),
      ...(r.rolled_back_at ? { rolledBackAt: r.rolled_back_at.toISOString() } : {}),
      appliedStepsCount: r.applied_steps_count,
      ...(r.logs ? { logs: r.logs } : {}),
    }));
    return {
      state: "read",
      table,
      rows,
      otherTables: schemas.slice(1).map((s) => `${s}.${PRISMA_MIGRATIONS_TABLE}`),
    };
  } catch (error) {
    await client.query("rollback to savepoint runbooks_prisma_migrations");
    return { state: "unreadable", table, error: (error as Error).message };
  }
}
