/**
 * The source session of a backup: one REPEATABLE READ transaction that
 * exports its snapshot, so every pg_dump stream (one, or one per job) and the
 * manifest's row counts see exactly the same database state. It stays open
 * while the dump runs, because the counts run beside it rather than before it
 * (a database of many mid-sized tables would otherwise wait for every count
 * before the first byte was dumped).
 *
 * `lock_timeout` applies here as well as to pg_dump (`--lock-wait-timeout`):
 * counting a table takes the same ACCESS SHARE lock pg_dump takes, and neither
 * may queue behind a migration's ACCESS EXCLUSIVE lock for long, because
 * every later query on that table would queue behind us.
 */
import { PostgresError, type Queryable } from "../postgres/client";
import { qualifiedTable } from "../postgres/identifiers";
import type { TableCount } from "./manifest";

/** What the dump needs before it starts: the exported snapshot and each table's size. */
export interface SnapshotFacts {
  serverVersion: string;
  serverMajor: number;
  snapshot: string;
  /** Tables with their estimated size, for splitting data streams. */
  sizes: { schema: string; table: string; bytes: number }[];
  /** Sequences no table owns: their values ride with the first data stream. */
  freeSequences: { schema: string; name: string }[];
  /** The planner's row estimate of each table (reltuples; -1 when never analyzed). */
  estimates: { schema: string; table: string; estimate: number }[];
}

/** What the manifest records of the same snapshot: rows per table, and large objects. */
export interface RowCounts {
  tables: TableCount[];
  largeObjects: number;
}

const SYSTEM_SCHEMAS = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast' and n.nspname !~ '^pg_temp'`;

/** The first statements of the source transaction: a stable snapshot, and a bounded lock wait. */
export async function openSnapshotSession(client: Queryable, lockWaitTimeoutSeconds: number) {
  await client.query("set transaction isolation level repeatable read, read only");
  await client.query(`set local lock_timeout = ${Math.round(lockWaitTimeoutSeconds * 1000)}`);
}

/** Export the snapshot and read what planning the dump needs; the caller keeps the transaction open. */
export async function exportSnapshot(client: Queryable): Promise<SnapshotFacts> {
  const head = await client.query(
    "select current_setting('server_version') as version, current_setting('server_version_num')::int as num, pg_export_snapshot() as snapshot",
  );
  const row = head.rows[0] as { version: string; num: number; snapshot: string };
  const rels = await client.query(
    `select n.nspname as schema, c.relname as table, c.reltuples::float8 as estimate,
            pg_relation_size(c.oid)::float8 as bytes
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'r' and c.relpersistence <> 't' and ${SYSTEM_SCHEMAS}
      order by 1, 2`,
  );
  const seqs = await client.query(
    `select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'S' and ${SYSTEM_SCHEMAS}
        and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i'))`,
  );
  const tables = rels.rows as { schema: string; table: string; estimate: number; bytes: number }[];
  return {
    serverVersion: row.version,
    serverMajor: Math.floor(row.num / 10000),
    snapshot: row.snapshot,
    sizes: tables.map(({ schema, table, bytes }) => ({ schema, table, bytes })),
    freeSequences: seqs.rows as SnapshotFacts["freeSequences"],
    estimates: tables.map(({ schema, table, estimate }) => ({ schema, table, estimate })),
  };
}

/** The one rule for which tables are counted exactly: the planner's estimate decides. */
const countedExactly = (t: { estimate: number }, exactCountMaxRows: number) =>
  t.estimate <= exactCountMaxRows;

/**
 * Take, before the dump starts, the ACCESS SHARE lock each exact count needs (pg_dump takes
 * the same on every table it dumps). The counts then run beside the dump and never wait for a
 * table: a migration's ACCESS EXCLUSIVE request that arrives meanwhile would otherwise queue
 * them until the dump ends, and past lock_timeout. A count can still wait for one of the
 * table's indexes, which planning it opens and LOCK TABLE cannot take (a REINDEX holds the
 * index ACCESS EXCLUSIVE while pg_dump reads on); lock_timeout bounds that wait, and
 * countRows then records the estimate.
 */
export async function lockTablesToCount(
  client: Queryable,
  facts: SnapshotFacts,
  exactCountMaxRows: number,
): Promise<void> {
  const tables = facts.estimates.filter((t) => countedExactly(t, exactCountMaxRows));
  if (tables.length === 0) return;
  await client.query(
    `lock table ${tables.map((t) => `only ${qualifiedTable(t)}`).join(", ")} in access share mode`,
  );
}

/**
 * Rows per table in the snapshot's transaction: exact up to `exactCountMaxRows` (the
 * planner's estimate decides), the estimate above it, and which one each is.
 *
 * An exact count that waits past lock_timeout (for one of the table's indexes, see
 * lockTablesToCount) falls back to the estimate and says why, instead of failing a backup
 * whose dump is fine: each count runs in a savepoint, so the failed one leaves the snapshot's
 * transaction usable. Any other error still fails the backup.
 */
export async function countRows(
  client: Queryable,
  facts: SnapshotFacts,
  exactCountMaxRows: number,
): Promise<RowCounts> {
  const tables: TableCount[] = [];
  for (const t of facts.estimates) {
    const estimate = Math.max(0, Math.round(t.estimate));
    if (!countedExactly(t, exactCountMaxRows)) {
      tables.push({ schema: t.schema, table: t.table, rows: estimate, exact: false });
      continue;
    }
    await client.query("savepoint row_count");
    try {
      const result = await client.query(
        `select count(*)::bigint as n from only ${qualifiedTable(t)}`,
      );
      await client.query("release savepoint row_count");
      const rows = Number((result.rows[0] as { n: string }).n);
      tables.push({ schema: t.schema, table: t.table, rows, exact: true });
    } catch (error) {
      // 55P03, lock_not_available: the wait ran past lock_timeout.
      if (!(error instanceof PostgresError && error.code === "55P03")) throw error;
      await client.query("rollback to savepoint row_count");
      tables.push({
        schema: t.schema,
        table: t.table,
        rows: estimate,
        exact: false,
        note: "an exact count waited past lock_timeout for a lock (an index being rebuilt?); the planner's estimate instead",
      });
    }
  }
  const lo = await client.query("select count(*)::int as n from pg_largeobject_metadata");
  return { tables, largeObjects: (lo.rows[0] as { n: number }).n };
}

/**
 * Sessions holding a lock that conflicts with a dump's ACCESS SHARE (an
 * ACCESS EXCLUSIVE lock on a user table), for the "waiting behind…" report.
 */
export async function lockHolders(client: Queryable): Promise<string[]> {
  const result = await client.query(
    `select l.pid, a.application_name, a.state, left(coalesce(a.query, ''), 120) as query,
            n.nspname || '.' || c.relname as rel, extract(epoch from now() - a.xact_start)::int as seconds
       from pg_locks l
       join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace
       left join pg_stat_activity a on a.pid = l.pid
      where l.mode = 'AccessExclusiveLock' and l.granted and l.pid <> pg_backend_pid() and ${SYSTEM_SCHEMAS}
      order by seconds desc nulls last limit 10`,
  );
  return (
    result.rows as {
      pid: number;
      application_name: string;
      state: string;
      query: string;
      rel: string;
      seconds: number | null;
    }[]
  ).map(
    (r) =>
      `pid ${r.pid} (${r.application_name || "no application_name"}, ${r.state ?? "?"}, ${r.seconds ?? "?"} s in its transaction) holds ACCESS EXCLUSIVE on ${r.rel}: ${r.query}`,
  );
}

/** Split tables into `jobs` streams of similar size (largest first, each to the lightest stream). */
export function splitStreams<T extends { bytes: number }>(
  tables: readonly T[],
  jobs: number,
): T[][] {
  const streams: { bytes: number; tables: T[] }[] = Array.from({ length: jobs }, () => ({
    bytes: 0,
    tables: [],
  }));
  for (const t of [...tables].sort((a, b) => b.bytes - a.bytes)) {
    const lightest = streams.reduce((min, s) => (s.bytes < min.bytes ? s : min));
    lightest.tables.push(t);
    lightest.bytes += t.bytes;
  }
  return streams.map((s) => s.tables).filter((t, i) => t.length > 0 || i === 0);
}

/**
 * Tables whose rows RLS would hide from this role. pg_dump refuses them
 * ("query would be affected by row-level security policy"), and dumping with
 * --enable-row-security would silently leave rows out, so a backup role must
 * bypass RLS: superuser or BYPASSRLS (Supabase's `postgres` role has it).
 */
export async function rlsHiddenTables(client: Queryable): Promise<string[]> {
  const result = await client.query(
    `select n.nspname || '.' || c.relname as t
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and c.relrowsecurity and ${SYSTEM_SCHEMAS}
        and not (select rolsuper or rolbypassrls from pg_roles where rolname = current_user)
        and (c.relforcerowsecurity or not pg_has_role(current_user, c.relowner, 'USAGE'))
      order by 1`,
  );
  return (result.rows as { t: string }[]).map((r) => r.t);
}
