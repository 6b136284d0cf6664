/**
 * The runbook's "database status" step: is Postgres healthy right now, and if
 * not, which session, lock or table is the problem and what to do about it.
 *
 * `readDbStatus` takes one snapshot with a handful of catalog queries (run it
 * in a read-only session, see session.ts); `assessDbStatus`
 * (db-status-findings.ts) turns a snapshot into findings and is pure, so every
 * rule is tested with hand-made snapshots.
 */
import type { Queryable } from "../postgres/client";
import { maskQueryText } from "./query-text";

export interface ServerInfo {
  /** e.g. `15.8 (Debian 15.8-1)`. */
  version: string;
  versionNum: number;
  startedAt: string;
  uptimeSeconds: number;
  database: string;
  databaseBytes: number;
  maxConnections: number;
  /** Slots only superusers may use: the app is refused at max − reserved. */
  reservedConnections: number;
  /** autovacuum_freeze_max_age: where anti-wraparound vacuums are forced. */
  freezeMaxAge: number;
  checkedAt: string;
}

/** A client session of interest: not idle, or holding a lock someone waits for. */
export interface SessionInfo {
  pid: number;
  database: string | null;
  user: string | null;
  application: string;
  client: string | null;
  /** pg_stat_activity.state; null when this role may not see it (needs pg_read_all_stats). */
  state: string | null;
  waitEventType: string | null;
  waitEvent: string | null;
  transactionSeconds: number | null;
  querySeconds: number | null;
  /** Seconds in the current state (for "idle in transaction": how long it has been idle). */
  stateSeconds: number | null;
  /** Seconds waiting for a lock, when waiting for one. */
  lockWaitSeconds: number | null;
  /** pg_blocking_pids: who holds the lock this session waits for. */
  blockedBy: number[];
  /** Current or last statement, literals masked. */
  query: string;
}

export interface RlsDisabledTable {
  schema: string;
  table: string;
  /** API roles (anon, authenticated, …) holding a table privilege on it: they can read or write every row. */
  grantedTo: string[];
}

/**
 * Backups are recorded in the bucket beside the dump (latest.json), not in
 * the database db:status reads, so this check is skipped and says where to look.
 */
export interface BackupHeartbeat {
  checked: false;
  reason: string;
}

export interface DbStatusSnapshot {
  server: ServerInfo;
  /** Client connections in the whole cluster by state (this check's own included). */
  connectionsByState: { state: string; count: number }[];
  /** The ten applications holding most connections. */
  connectionsByApplication: { application: string; count: number }[];
  /** Sessions in this database that are not idle, and any session blocking one of them. */
  sessions: SessionInfo[];
  /** age(datfrozenxid) per database, oldest first. */
  transactionIdAge: { database: string; age: number }[];
  /** Schemas checked for RLS. */
  exposedSchemas: string[];
  rlsDisabled: RlsDisabledTable[];
  backup: BackupHeartbeat;
}

export interface ReadDbStatusOptions {
  /** Schemas the API exposes, checked for tables without RLS. */
  exposedSchemas: string[];
  /** Roles the API uses (Supabase: anon, authenticated). */
  apiRoles: string[];
}

export const DEFAULT_EXPOSED_SCHEMAS = ["public", "storage"];
export const DEFAULT_API_ROLES = ["anon", "authenticated"];

const NO_HEARTBEAT: BackupHeartbeat = {
  checked: false,
  reason:
    "backups are recorded in the backup bucket (latest.json), not in the database: " +
    "npm run backup:status checks the latest one's age, and incident runs both",
};

type Row = Record<string, unknown>;

/** Tags this module's statements, so db:performance leaves them out of its lists. */
const MARKER = "/* runbooks:db:status */";

const num = (v: unknown): number => (v === null || v === undefined ? NaN : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

/** One snapshot of the server, its sessions and the exposed schemas. Read-only. */
export async function readDbStatus(
  client: Queryable,
  options: ReadDbStatusOptions,
): Promise<DbStatusSnapshot> {
  const server = (
    await client.query(`${MARKER}
      select current_setting('server_version') as version,
             current_setting('server_version_num')::int as version_num,
             pg_postmaster_start_time() as started_at,
             extract(epoch from now() - pg_postmaster_start_time())::float8 as uptime_seconds,
             current_database() as database,
             pg_database_size(current_database())::float8 as database_bytes,
             current_setting('max_connections')::int as max_connections,
             current_setting('superuser_reserved_connections')::int as reserved_connections,
             current_setting('autovacuum_freeze_max_age')::float8 as freeze_max_age,
             now() as checked_at`)
  ).rows[0] as Row;
  const versionNum = num(server.version_num);

  const byState = await client.query(`${MARKER}
    select coalesce(state, 'unknown') as state, count(*)::int as count
      from pg_stat_activity
     where backend_type = 'client backend'
     group by 1 order by 2 desc, 1`);
  const byApplication = await client.query(`${MARKER}
    select coalesce(nullif(application_name, ''), '(none)') as application, count(*)::int as count
      from pg_stat_activity
     where backend_type = 'client backend'
     group by 1 order by 2 desc, 1
     limit 10`);
  const sessions = await client.query(sessionsSql(versionNum));
  const ages = await client.query(`${MARKER}
    select datname as database, age(datfrozenxid)::float8 as age
      from pg_database order by 2 desc, 1`);
  const rls = await client.query(
    `${MARKER}
     select n.nspname as schema, c.relname as table,
            array(select r.rolname::text from pg_roles r
                   where r.rolname = any($2::text[])
                     and has_table_privilege(r.oid, c.oid, 'SELECT, INSERT, UPDATE, DELETE')
                   order by 1) as granted_to
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname = any($1::text[]) and not c.relrowsecurity
      order by 1, 2`,
    [options.exposedSchemas, options.apiRoles],
  );

  return {
    server: {
      version: String(server.version),
      versionNum,
      startedAt: iso(server.started_at),
      uptimeSeconds: num(server.uptime_seconds),
      database: String(server.database),
      databaseBytes: num(server.database_bytes),
      maxConnections: num(server.max_connections),
      reservedConnections: num(server.reserved_connections),
      freezeMaxAge: num(server.freeze_max_age),
      checkedAt: iso(server.checked_at),
    },
    connectionsByState: (byState.rows as Row[]).map((r) => ({
      state: String(r.state),
      count: num(r.count),
    })),
    connectionsByApplication: (byApplication.rows as Row[]).map((r) => ({
      application: String(r.application),
      count: num(r.count),
    })),
    sessions: (sessions.rows as Row[]).map((r) => ({
      pid: num(r.pid),
      database: strOrNull(r.database),
      user: strOrNull(r.user),
      application: String(r.application ?? ""),
      client: strOrNull(r.client),
      state: strOrNull(r.state),
      waitEventType: strOrNull(r.wait_event_type),
      waitEvent: strOrNull(r.wait_event),
      transactionSeconds: numOrNull(r.transaction_seconds),
      querySeconds: numOrNull(r.query_seconds),
      stateSeconds: numOrNull(r.state_seconds),
      lockWaitSeconds: numOrNull(r.lock_wait_seconds),
      blockedBy: ((r.blocked_by as number[] | null) ?? []).map(Number),
      query: maskQueryText(String(r.query ?? "")),
    })),
    transactionIdAge: (ages.rows as Row[]).map((r) => ({
      database: String(r.database),
      age: num(r.age),
    })),
    exposedSchemas: [...options.exposedSchemas],
    rlsDisabled: (rls.rows as Row[]).map((r) => ({
      schema: String(r.schema),
      table: String(r.table),
      grantedTo: (r.granted_to as string[] | null) ?? [],
    })),
    backup: NO_HEARTBEAT,
  };
}

/**
 * Sessions of this database that are not idle, plus whoever blocks one of
 * them (an idle session can hold a lock: an advisory lock, or a transaction
 * that was never committed). pg_blocking_pids takes lock-manager locks, so it
 * runs only for sessions that wait on a lock.
 */
function sessionsSql(versionNum: number): string {
  // pg_locks.waitstart (14+) says when the wait began; before that, the statement's start is the best bound.
  const lockWait =
    versionNum >= 140000
      ? `case when a.wait_event_type = 'Lock' then extract(epoch from now() - coalesce(
           (select min(l.waitstart) from pg_locks l where l.pid = a.pid and not l.granted),
           a.query_start))::float8 end`
      : `case when a.wait_event_type = 'Lock' then extract(epoch from now() - a.query_start)::float8 end`;
  return `${MARKER}
    with activity as (
      select a.*, ${lockWait} as lock_wait_seconds,
             case when a.wait_event_type = 'Lock' then pg_blocking_pids(a.pid) else '{}'::int[] end as blocked_by
        from pg_stat_activity a
       where a.backend_type = 'client backend' and a.pid <> pg_backend_pid()
    ), blockers as (
      select distinct unnest(blocked_by) as pid from activity where datname = current_database()
    )
    select pid, datname as database, usename as user,
           coalesce(application_name, '') as application, host(client_addr) as client, state,
           wait_event_type, wait_event,
           extract(epoch from now() - xact_start)::float8 as transaction_seconds,
           extract(epoch from now() - query_start)::float8 as query_seconds,
           extract(epoch from now() - state_change)::float8 as state_seconds,
           lock_wait_seconds, blocked_by, left(query, 4000) as query
      from activity
     where (datname = current_database() and state is distinct from 'idle')
        or pid in (select pid from blockers)
     order by pid`;
}
