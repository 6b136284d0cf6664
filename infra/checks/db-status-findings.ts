/**
 * The findings of a database-status snapshot (db-status.ts reads it): one per
 * check, each with its severity and, when there is a problem, the fix. Pure:
 * every rule is tested with hand-made snapshots.
 */
import type { Finding } from "../lib/findings";
import { formatBytes, formatCount, formatDuration } from "../lib/format";
import type { BackupHeartbeat, DbStatusSnapshot, ServerInfo, SessionInfo } from "./db-status";
import type { CheckReport } from "./read-only-check";

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
