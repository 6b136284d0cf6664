/**
 * The backup's source session counts rows while pg_dump runs, in the same
 * snapshot. The locks those counts need are taken before the dump starts, so
 * a migration that asks for ACCESS EXCLUSIVE meanwhile cannot queue them past
 * lock_timeout (it waits for pg_dump's own lock anyway).
 */
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  countRows,
  exportSnapshot,
  lockTablesToCount,
  openSnapshotSession,
} from "../../../infra/backups/snapshot";
import { seeded, type Db } from "./helpers";

let source: Db;

beforeAll(async () => {
  source = await seeded("bksess");
});

afterAll(async () => {
  await source?.drop();
});

async function connect(applicationName: string): Promise<Client> {
  const c = new Client({ connectionString: source.url, application_name: applicationName });
  await c.connect();
  return c;
}

/** Wait until `applicationName` is queued for a lock it has not been granted. */
async function waitUntilQueued(observer: Client, applicationName: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await observer.query(
      `select 1 from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where not l.granted and a.application_name = $1`,
      [applicationName],
    );
    if (r.rowCount) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${applicationName} never queued for its lock`);
}

describe("the backup's source session", () => {
  it("counts exactly, after a migration queued for ACCESS EXCLUSIVE on a counted table, without waiting for it", async () => {
    const session = await connect("bk-session");
    const dump = await connect("bk-dump");
    const migration = await connect("bk-migration");
    const observer = await connect("bk-observer");
    let queued: Promise<unknown> | undefined;
    try {
      await session.query("begin");
      await openSnapshotSession(session, 1);
      const facts = await exportSnapshot(session);
      await lockTablesToCount(session, facts, 1_000_000);
      // pg_dump: the same snapshot, and ACCESS SHARE on what it dumps, held until it ends.
      await dump.query("begin isolation level repeatable read");
      await dump.query(`set transaction snapshot '${facts.snapshot}'`);
      await dump.query("lock table public.notes in access share mode");
      // Rows written after the snapshot are not counted.
      await observer.query("insert into public.notes (body) values ('after the snapshot')");
      await migration.query("begin");
      queued = migration.query("lock table public.notes in access exclusive mode");
      queued.catch(() => undefined);
      await waitUntilQueued(observer, "bk-migration");

      const started = Date.now();
      const counts = await countRows(session, facts, 1_000_000);
      // Under lock_timeout (1 s): the count did not queue behind the migration.
      expect(Date.now() - started).toBeLessThan(900);
      expect(counts.tables.find((t) => t.table === "notes")).toEqual({
        schema: "public",
        table: "notes",
        rows: 500,
        exact: true,
      });
      expect(counts.tables.find((t) => t.table === "invoices")?.rows).toBe(300);
      expect(counts.largeObjects).toBe(2);
    } finally {
      await session.query("rollback").catch(() => undefined);
      await dump.query("rollback").catch(() => undefined);
      await queued?.catch(() => undefined);
      await migration.query("rollback").catch(() => undefined);
      await Promise.all([session.end(), dump.end(), migration.end(), observer.end()]);
    }
  });

  it("locks no table it will only estimate", async () => {
    const session = await connect("bk-session-estimate");
    const observer = await connect("bk-observer-estimate");
    try {
      await session.query("begin");
      await openSnapshotSession(session, 1);
      const facts = await exportSnapshot(session);
      // reltuples is never below -1, so a limit of -2 estimates every table.
      await lockTablesToCount(session, facts, -2);
      const held = await observer.query(
        `select c.relname from pg_locks l join pg_class c on c.oid = l.relation
           join pg_namespace n on n.oid = c.relnamespace join pg_stat_activity a on a.pid = l.pid
          where a.application_name = 'bk-session-estimate' and n.nspname in ('public', 'billing')`,
      );
      expect(held.rows).toEqual([]);
      const counts = await countRows(session, facts, -2);
      expect(counts.tables.length).toBeGreaterThan(0);
      expect(counts.tables.every((t) => !t.exact)).toBe(true);
    } finally {
      await session.query("rollback").catch(() => undefined);
      await Promise.all([session.end(), observer.end()]);
    }
  });
});
