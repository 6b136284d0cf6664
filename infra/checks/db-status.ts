/**
 * The runbook's "database status" step: is Postgres healthy right now, and if
 * not, which session, lock or table is the problem and what to do about it.
 *
 * `readDbStatus` takes one snapshot with a handful of catalog queries (run it
 * in a read-only session, see session.ts); `assessDbStatus` turns a snapshot
 * into findings and is pure, so every rule is tested with hand-made snapshots.
 */
import type { Finding } from "../lib/findings";
import { formatBytes, formatCount, formatDuration } from "../lib/format";
import type { Queryable } from "../postgres/client";
import { maskQueryText } from "./query-text";
import type { CheckReport } from "./read-only-check";

// ---------------------------------------------------------------------------
// Snapshot
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Assessment (pure)
// ---------------------------------------------------------------------------

export interface DbStatusThresholds {
  /** An active statement running longer than this is reported (warning). */
  longQuerySeconds: number;
  /** A session idle in a transaction longer than this is reported (warning). */
  idleInTransactionSeconds: number;
  /** A session blocked by a lock longer than this is critical; shorter waits are normal traffic. */
  lockWaitSeconds: number;
  /** Connections in use, percent of max_connections: warning from here… */
  connectionsWarnPercent: number;
  /** …and critical from here. */
  connectionsCriticalPercent: number;
  /** Transaction-ID age that is critical (Postgres stops writes near 2^31). */
  wraparoundCriticalAge: number;
}

export const DEFAULT_DB_STATUS_THRESHOLDS: DbStatusThresholds = {
  longQuerySeconds: 300,
  idleInTransactionSeconds: 60,
  lockWaitSeconds: 5,
  connectionsWarnPercent: 80,
  connectionsCriticalPercent: 95,
  wraparoundCriticalAge: 1_000_000_000,
};

/** The snapshot's findings, one per check, each with a severity and (when there is a problem) a fix. */
export function assessDbStatus(
  snapshot: DbStatusSnapshot,
  thresholds: DbStatusThresholds = DEFAULT_DB_STATUS_THRESHOLDS,
): Finding[] {
  return [
    serverFinding(snapshot.server),
    connectionsFinding(snapshot, thresholds),
    locksFinding(snapshot, thresholds),
    idleInTransactionFinding(snapshot, thresholds),
    longQueriesFinding(snapshot, thresholds),
    wraparoundFinding(snapshot, thresholds),
    rlsFinding(snapshot),
    backupFinding(snapshot.backup),
  ];
}

function serverFinding(s: ServerInfo): Finding {
  return {
    id: "server",
    severity: "info",
    subject: `database ${s.database}`,
    message: `server: PostgreSQL ${s.version}, up ${formatDuration(s.uptimeSeconds)}, database ${s.database} is ${formatBytes(s.databaseBytes)}`,
    details: [`started ${s.startedAt}`],
    fix: "",
  };
}

/** `pid 123 (app "web", user app_user)` */
function who(s: SessionInfo): string {
  const parts = [s.application ? `app "${s.application}"` : "no application_name"];
  if (s.user) parts.push(`user ${s.user}`);
  if (s.client) parts.push(`from ${s.client}`);
  return `pid ${s.pid} (${parts.join(", ")})`;
}

function seconds(v: number | null): string {
  return v === null ? "?" : formatDuration(v);
}

function connectionsFinding(snapshot: DbStatusSnapshot, t: DbStatusThresholds): Finding {
  const { maxConnections, reservedConnections } = snapshot.server;
  const used = snapshot.connectionsByState.reduce((sum, r) => sum + r.count, 0);
  const percent = maxConnections > 0 ? (used / maxConnections) * 100 : 100;
  const severity =
    percent >= t.connectionsCriticalPercent
      ? "critical"
      : percent >= t.connectionsWarnPercent
        ? "medium"
        : "info";
  const details = [
    `by state: ${snapshot.connectionsByState.map((r) => `${r.state} ${r.count}`).join(", ") || "none"}`,
    `by application: ${snapshot.connectionsByApplication.map((r) => `${r.application} ${r.count}`).join(", ") || "none"}`,
    `non-superusers are refused at ${maxConnections - reservedConnections} (superuser_reserved_connections = ${reservedConnections})`,
  ];
  return {
    id: "connections",
    severity,
    subject: "the server's connections",
    message: `connections: ${used} of ${maxConnections} in use (${percent.toFixed(0)}%)`,
    details,
    fix:
      severity === "info"
        ? ""
        : "see which application holds them (above); close idle ones, lower the app's pool size, or connect " +
          "through the pooler (Supabase: transaction mode, port 6543). To end one application's idle sessions: " +
          "select pg_terminate_backend(pid) from pg_stat_activity where state = 'idle' and application_name = '<app>';",
  };
}

function locksFinding(snapshot: DbStatusSnapshot, t: DbStatusThresholds): Finding {
  const database = snapshot.server.database;
  const blocked = snapshot.sessions.filter(
    (s) => s.blockedBy.length > 0 && (s.database === null || s.database === database),
  );
  if (blocked.length === 0)
    return {
      id: "locks",
      severity: "info",
      subject: `database ${database}`,
      message: "locks: no session is waiting for a lock",
      details: [],
      fix: "",
    };
  const waited = (s: SessionInfo) => s.lockWaitSeconds ?? s.querySeconds ?? 0;
  const long = blocked.filter((s) => waited(s) >= t.lockWaitSeconds);
  const blockedPids = new Set(blocked.map((s) => s.pid));
  // The sessions at the head of the queue: blocking others while not waiting themselves.
  const roots = [...new Set(blocked.flatMap((s) => s.blockedBy))].filter(
    (pid) => !blockedPids.has(pid),
  );
  const rootPids = roots.length > 0 ? roots : [...new Set(blocked.flatMap((s) => s.blockedBy))];
  const byPid = new Map(snapshot.sessions.map((s) => [s.pid, s]));
  const details = blocked.map(
    (s) =>
      `${who(s)} waiting ${seconds(waited(s))} for a lock, blocked by pid ${s.blockedBy.join(", pid ")}: ${s.query}`,
  );
  for (const pid of rootPids) {
    const b = byPid.get(pid);
    details.push(
      b
        ? `blocker ${who(b)}, ${b.state ?? "state unknown"} for ${seconds(b.stateSeconds)}, transaction open ${seconds(b.transactionSeconds)}: ${b.query}`
        : `blocker pid ${pid} is not a client session of this database (another database, or a background process)`,
    );
  }
  const pidList = rootPids.map((p) => `pid ${p}`).join(", ");
  if (long.length === 0)
    return {
      id: "locks",
      severity: "info",
      subject: pidList,
      message: `locks: ${blocked.length} session${blocked.length === 1 ? "" : "s"} waiting briefly (under ${t.lockWaitSeconds} s) for a lock held by ${pidList}`,
      details,
      fix: "",
    };
  return {
    id: "locks",
    severity: "critical",
    subject: pidList,
    message: `locks: ${long.length} session${long.length === 1 ? "" : "s"} blocked for ${t.lockWaitSeconds} s or more, by ${pidList}`,
    details,
    fix:
      `if the blocker should not hold the lock: select pg_cancel_backend(${rootPids[0]}); ` +
      `(cancels its running statement) — if it is idle in transaction that does nothing, so: ` +
      `select pg_terminate_backend(${rootPids[0]}); (ends the session and rolls back its transaction). ` +
      "A migration waiting for a lock queues every later query behind it: give DDL a lock_timeout.",
  };
}

function idleInTransactionFinding(snapshot: DbStatusSnapshot, t: DbStatusThresholds): Finding {
  const idle = snapshot.sessions.filter(
    (s) =>
      s.database === snapshot.server.database &&
      (s.state ?? "").startsWith("idle in transaction") &&
      (s.stateSeconds ?? 0) >= t.idleInTransactionSeconds,
  );
  if (idle.length === 0)
    return {
      id: "idle-in-transaction",
      severity: "info",
      subject: `database ${snapshot.server.database}`,
      message: `idle in transaction: no session idle in a transaction for ${t.idleInTransactionSeconds} s or more`,
      details: [],
      fix: "",
    };
  return {
    id: "idle-in-transaction",
    severity: "medium",
    subject: idle.map((s) => `pid ${s.pid}`).join(", "),
    message: `idle in transaction: ${idle.length} session${idle.length === 1 ? "" : "s"} idle in a transaction for ${t.idleInTransactionSeconds} s or more`,
    details: idle.map(
      (s) =>
        `${who(s)} ${s.state} for ${seconds(s.stateSeconds)}, transaction open ${seconds(s.transactionSeconds)}; last statement: ${s.query}`,
    ),
    fix:
      "an open transaction keeps its locks and stops vacuum from cleaning up behind it: find the code path " +
      `that never commits; end one now with select pg_terminate_backend(${idle[0]!.pid}); and cap it for the app's role: ` +
      "alter role <app role> set idle_in_transaction_session_timeout = '60s';",
  };
}

function longQueriesFinding(snapshot: DbStatusSnapshot, t: DbStatusThresholds): Finding {
  const long = snapshot.sessions.filter(
    (s) =>
      s.database === snapshot.server.database &&
      s.state === "active" &&
      s.blockedBy.length === 0 &&
      (s.querySeconds ?? 0) >= t.longQuerySeconds,
  );
  if (long.length === 0)
    return {
      id: "long-queries",
      severity: "info",
      subject: `database ${snapshot.server.database}`,
      message: `long queries: none running for ${formatDuration(t.longQuerySeconds)} or more`,
      details: [],
      fix: "",
    };
  return {
    id: "long-queries",
    severity: "medium",
    subject: long.map((s) => `pid ${s.pid}`).join(", "),
    message: `long queries: ${long.length} running for ${formatDuration(t.longQuerySeconds)} or more`,
    details: long.map(
      (s) =>
        `${who(s)} running ${seconds(s.querySeconds)}${s.waitEventType ? `, waiting on ${s.waitEventType}/${s.waitEvent}` : ""}: ${s.query}`,
    ),
    fix:
      `if it should not run this long: select pg_cancel_backend(${long[0]!.pid}); then look at its plan (explain) ` +
      "and npm run db:performance; cap runaway statements with alter role <app role> set statement_timeout = '30s';",
  };
}

/** Postgres refuses writes when a database's oldest unfrozen transaction ID gets this old. */
const WRAPAROUND_LIMIT = 2 ** 31;

function wraparoundFinding(snapshot: DbStatusSnapshot, t: DbStatusThresholds): Finding {
  const oldest = snapshot.transactionIdAge[0];
  const freezeMaxAge = snapshot.server.freezeMaxAge;
  if (!oldest)
    return {
      id: "wraparound",
      severity: "info",
      subject: `database ${snapshot.server.database}`,
      message: "transaction-ID age: not visible",
      details: [],
      fix: "",
    };
  const percent = (oldest.age / freezeMaxAge) * 100;
  const subject = `database ${oldest.database}`;
  const message =
    `transaction-ID age: ${oldest.database} at ${formatCount(oldest.age)} ` +
    `(${percent.toFixed(1)}% of autovacuum_freeze_max_age ${formatCount(freezeMaxAge)}; writes stop near ${formatCount(WRAPAROUND_LIMIT)})`;
  const details = snapshot.transactionIdAge
    .slice(0, 3)
    .map((d) => `${d.database}: ${formatCount(d.age)}`);
  const holdBack =
    "look for what holds back freezing: long transactions and idle-in-transaction sessions (above), " +
    "select * from pg_prepared_xacts; select slot_name, active from pg_replication_slots;";
  if (oldest.age >= t.wraparoundCriticalAge)
    return {
      id: "wraparound",
      severity: "critical",
      subject,
      message,
      details,
      fix: `${holdBack} then, connected to ${oldest.database}, run vacuum (freeze, verbose) on its oldest tables now.`,
    };
  if (oldest.age >= freezeMaxAge)
    return {
      id: "wraparound",
      severity: "medium",
      subject,
      message,
      details,
      fix: `autovacuum should be freezing ${oldest.database} already; if the age keeps growing, ${holdBack}`,
    };
  return { id: "wraparound", severity: "info", subject, message, details, fix: "" };
}

function rlsFinding(snapshot: DbStatusSnapshot): Finding {
  const schemas = snapshot.exposedSchemas.join(", ");
  const reachable = snapshot.rlsDisabled.filter((t) => t.grantedTo.length > 0);
  const unreachable = snapshot.rlsDisabled.filter((t) => t.grantedTo.length === 0);
  const details = [
    ...reachable.map(
      (t) =>
        `${t.schema}.${t.table}: RLS disabled, ${t.grantedTo.join(" and ")} can read or write every row`,
    ),
    ...unreachable.map(
      (t) => `${t.schema}.${t.table}: RLS disabled, no API role has a grant on it (yet)`,
    ),
  ];
  if (reachable.length > 0)
    return {
      id: "rls",
      severity: "critical",
      subject: reachable.map((t) => `${t.schema}.${t.table}`).join(", "),
      message: `row-level security: ${reachable.length} table${reachable.length === 1 ? "" : "s"} in ${schemas} without RLS that the API roles can reach`,
      details,
      fix:
        `alter table ${reachable[0]!.schema}.${reachable[0]!.table} enable row level security; then declare its ` +
        "policies (runbooks:rls.tables); npm run rls:lint lists every RLS problem",
    };
  return {
    id: "rls",
    severity: "info",
    subject: `schemas ${schemas}`,
    message:
      unreachable.length > 0
        ? `row-level security: ${unreachable.length} table${unreachable.length === 1 ? "" : "s"} in ${schemas} without RLS, none granted to an API role`
        : `row-level security: enabled on every table in ${schemas}`,
    details,
    fix: "",
  };
}

function backupFinding(backup: BackupHeartbeat): Finding {
  return {
    id: "backup",
    severity: "info",
    subject: "backup heartbeat",
    message: "backup heartbeat: not checked",
    details: [backup.reason],
    fix: "",
    couldNotCheck: true,
  };
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

export type DbStatusReport = CheckReport<DbStatusSnapshot, DbStatusThresholds>;

/** The lines above the findings: where it looked and when. */
export function renderDbStatusHeader(report: DbStatusReport): string[] {
  return [`Database status: ${report.target}  (checked ${report.snapshot.server.checkedAt})`];
}
