import { describe, expect, it } from "vitest";
import type { DbStatusSnapshot, SessionInfo } from "../../../infra/checks/db-status";
import {
  assessDbStatus,
  DEFAULT_DB_STATUS_THRESHOLDS,
  renderDbStatusHeader,
} from "../../../infra/checks/db-status-findings";
import type { Finding } from "../../../infra/lib/findings";
import { exitCodeFor } from "../../../infra/lib/findings-render";
import { renderHuman } from "../../../scripts/lib/runner";

function session(pid: number, overrides: Partial<SessionInfo> = {}): SessionInfo {
  return {
    pid,
    database: "app",
    user: "app_user",
    application: "web",
    client: "10.0.0.5",
    state: "active",
    waitEventType: null,
    waitEvent: null,
    transactionSeconds: 1,
    querySeconds: 1,
    stateSeconds: 1,
    lockWaitSeconds: null,
    blockedBy: [],
    query: "select 1",
    ...overrides,
  };
}

function snapshot(overrides: Partial<DbStatusSnapshot> = {}): DbStatusSnapshot {
  return {
    server: {
      version: "15.8",
      versionNum: 150008,
      startedAt: "2026-01-01T00:00:00.000Z",
      uptimeSeconds: 3 * 86400,
      database: "app",
      databaseBytes: 50 * 1024 * 1024,
      maxConnections: 100,
      reservedConnections: 3,
      freezeMaxAge: 200_000_000,
      checkedAt: "2026-01-04T00:00:00.000Z",
    },
    connectionsByState: [
      { state: "idle", count: 8 },
      { state: "active", count: 2 },
    ],
    connectionsByApplication: [{ application: "web", count: 10 }],
    sessions: [],
    transactionIdAge: [{ database: "app", age: 1_000_000 }],
    exposedSchemas: ["public", "storage"],
    rlsDisabled: [],
    backup: { checked: false, reason: "no heartbeat yet" },
    ...overrides,
  };
}

function finding(findings: Finding[], check: string): Finding {
  const found = findings.find((f) => f.id === check);
  if (!found) throw new Error(`no ${check} finding`);
  return found;
}

const t = DEFAULT_DB_STATUS_THRESHOLDS;

describe("assessDbStatus", () => {
  it("finds nothing wrong with a quiet, healthy database", () => {
    const findings = assessDbStatus(snapshot());
    expect(exitCodeFor(findings)).toBe(0);
    expect(findings.map((f) => f.id)).toEqual([
      "server",
      "connections",
      "locks",
      "idle-in-transaction",
      "long-queries",
      "wraparound",
      "rls",
      "backup",
    ]);
    expect(finding(findings, "server").message).toBe(
      "server: PostgreSQL 15.8, up 3 d, database app is 50 MB",
    );
    expect(finding(findings, "connections").message).toBe("connections: 10 of 100 in use (10%)");
    expect(finding(findings, "backup")).toMatchObject({ severity: "info", couldNotCheck: true });
  });

  describe("connections", () => {
    const used = (n: number) => snapshot({ connectionsByState: [{ state: "idle", count: n }] });

    it("warns from the warning percentage and is critical from the critical one", () => {
      expect(finding(assessDbStatus(used(79)), "connections").severity).toBe("info");
      expect(finding(assessDbStatus(used(80)), "connections").severity).toBe("medium");
      expect(finding(assessDbStatus(used(95)), "connections").severity).toBe("critical");
    });

    it("follows the thresholds it is given", () => {
      const findings = assessDbStatus(used(10), { ...t, connectionsWarnPercent: 5 });
      const c = finding(findings, "connections");
      expect(c.severity).toBe("medium");
      expect(c.fix).toContain("pooler");
      expect(c.details).toContain(
        "non-superusers are refused at 97 (superuser_reserved_connections = 3)",
      );
    });
  });

  describe("locks", () => {
    const blocker = session(100, {
      state: "idle in transaction",
      stateSeconds: 40,
      transactionSeconds: 42,
      query: "update orders set status = '…' where id = $1",
    });
    const waiter = (wait: number) =>
      session(200, {
        waitEventType: "Lock",
        waitEvent: "transactionid",
        lockWaitSeconds: wait,
        querySeconds: wait,
        blockedBy: [100],
        query: "update orders set note = '…'",
      });

    it("is critical when a session is blocked past the threshold, naming the blocker", () => {
      const f = finding(assessDbStatus(snapshot({ sessions: [blocker, waiter(12)] })), "locks");
      expect(f.severity).toBe("critical");
      expect(f.message).toBe("locks: 1 session blocked for 5 s or more, by pid 100");
      expect(f.details![0]).toBe(
        `pid 200 (app "web", user app_user, from 10.0.0.5) waiting 12 s for a lock, blocked by pid 100: update orders set note = '…'`,
      );
      expect(f.details![1]).toContain("blocker pid 100");
      expect(f.details![1]).toContain("idle in transaction for 40 s, transaction open 42 s");
      expect(f.fix).toContain("pg_cancel_backend(100)");
      expect(f.fix).toContain("pg_terminate_backend(100)");
    });

    it("names the head of a lock queue, not the sessions queued in the middle", () => {
      const middle = session(150, { waitEventType: "Lock", lockWaitSeconds: 30, blockedBy: [100] });
      const tail = session(200, { waitEventType: "Lock", lockWaitSeconds: 20, blockedBy: [150] });
      const f = finding(assessDbStatus(snapshot({ sessions: [blocker, middle, tail] })), "locks");
      expect(f.message).toBe("locks: 2 sessions blocked for 5 s or more, by pid 100");
    });

    it("is info for a short wait, which busy databases have all the time", () => {
      const f = finding(assessDbStatus(snapshot({ sessions: [blocker, waiter(1)] })), "locks");
      expect(f.severity).toBe("info");
      expect(f.message).toContain("waiting briefly (under 5 s)");
    });

    it("says when the blocker is not a client session it can see", () => {
      const f = finding(assessDbStatus(snapshot({ sessions: [waiter(30)] })), "locks");
      expect(f.severity).toBe("critical");
      expect(f.details![1]).toContain("blocker pid 100 is not a client session of this database");
    });

    it("ignores sessions of other databases", () => {
      const elsewhere = { ...waiter(30), database: "other" };
      expect(finding(assessDbStatus(snapshot({ sessions: [elsewhere] })), "locks").severity).toBe(
        "info",
      );
    });
  });

  describe("idle in transaction", () => {
    it("warns about sessions idle in a transaction past the threshold", () => {
      const idle = session(300, {
        state: "idle in transaction",
        stateSeconds: 61,
        transactionSeconds: 70,
      });
      const aborted = session(301, { state: "idle in transaction (aborted)", stateSeconds: 600 });
      const recent = session(302, { state: "idle in transaction", stateSeconds: 59 });
      const f = finding(
        assessDbStatus(snapshot({ sessions: [idle, aborted, recent] })),
        "idle-in-transaction",
      );
      expect(f.severity).toBe("medium");
      expect(f.message).toBe(
        "idle in transaction: 2 sessions idle in a transaction for 60 s or more",
      );
      expect(f.details!.join("\n")).toContain("pid 300");
      expect(f.details!.join("\n")).not.toContain("pid 302");
      expect(f.fix).toContain("idle_in_transaction_session_timeout");
    });
  });

  describe("long queries", () => {
    it("warns about active statements past the threshold, not about lock waits", () => {
      const long = session(400, {
        querySeconds: 301,
        waitEventType: "IO",
        waitEvent: "DataFileRead",
      });
      const blocked = session(401, { querySeconds: 900, waitEventType: "Lock", blockedBy: [400] });
      const f = finding(assessDbStatus(snapshot({ sessions: [long, blocked] })), "long-queries");
      expect(f.severity).toBe("medium");
      expect(f.details).toHaveLength(1);
      expect(f.details![0]).toContain("pid 400");
      expect(f.details![0]).toContain("running 5 min 1 s, waiting on IO/DataFileRead");
      expect(f.fix).toContain("pg_cancel_backend(400)");
    });

    it("uses the threshold it is given", () => {
      const s = snapshot({ sessions: [session(400, { querySeconds: 20 })] });
      expect(finding(assessDbStatus(s), "long-queries").severity).toBe("info");
      expect(
        finding(assessDbStatus(s, { ...t, longQuerySeconds: 10 }), "long-queries").severity,
      ).toBe("medium");
    });
  });

  describe("wraparound", () => {
    const aged = (age: number) =>
      snapshot({
        transactionIdAge: [
          { database: "app", age },
          { database: "postgres", age: 1000 },
        ],
      });

    it("is info below autovacuum_freeze_max_age, with the percentage", () => {
      const f = finding(assessDbStatus(aged(50_000_000)), "wraparound");
      expect(f.severity).toBe("info");
      expect(f.message).toContain(
        "app at 50,000,000 (25.0% of autovacuum_freeze_max_age 200,000,000",
      );
    });

    it("warns past autovacuum_freeze_max_age and is critical past the critical age", () => {
      expect(finding(assessDbStatus(aged(250_000_000)), "wraparound").severity).toBe("medium");
      const critical = finding(assessDbStatus(aged(1_200_000_000)), "wraparound");
      expect(critical.severity).toBe("critical");
      expect(critical.fix).toContain("vacuum (freeze");
      expect(critical.fix).toContain("pg_prepared_xacts");
    });
  });

  describe("row-level security", () => {
    it("is critical for a table without RLS that an API role can reach, and points to rls:lint", () => {
      const f = finding(
        assessDbStatus(
          snapshot({
            rlsDisabled: [
              { schema: "public", table: "invoices", grantedTo: ["anon", "authenticated"] },
              { schema: "storage", table: "migrations", grantedTo: [] },
            ],
          }),
        ),
        "rls",
      );
      expect(f.severity).toBe("critical");
      expect(f.message).toContain(
        "1 table in public, storage without RLS that the API roles can reach",
      );
      expect(f.details).toEqual([
        "public.invoices: RLS disabled, anon and authenticated can read or write every row",
        "storage.migrations: RLS disabled, no API role has a grant on it (yet)",
      ]);
      expect(f.fix).toContain("alter table public.invoices enable row level security");
      expect(f.fix).toContain("npm run rls:lint");
    });

    it("is info when no API role has a grant on the table", () => {
      const f = finding(
        assessDbStatus(
          snapshot({ rlsDisabled: [{ schema: "storage", table: "migrations", grantedTo: [] }] }),
        ),
        "rls",
      );
      expect(f.severity).toBe("info");
    });
  });
});

describe("db:status human output", () => {
  it("prints the target, problems first, and the verdict", () => {
    const s = snapshot({ connectionsByState: [{ state: "idle", count: 99 }] });
    const findings = assessDbStatus(s);
    const report = { target: "db.example.com:5432/app", thresholds: t, snapshot: s };
    const text = renderHuman({
      findings,
      text: renderDbStatusHeader(report),
      notes: ['(run the fixes in a Postgres shell: psql "$DATABASE_URL")'],
    });
    const lines = text.split("\n");
    expect(lines[0]).toBe(
      "Database status: db.example.com:5432/app  (checked 2026-01-04T00:00:00.000Z)",
    );
    expect(lines[2]).toBe("CRITICAL  connections: 99 of 100 in use (99%)");
    expect(text).toContain('psql "$DATABASE_URL"');
    expect(lines[lines.length - 1]).toBe(
      "Result: PROBLEMS FOUND (exit 1) — 1 critical, 0 high, 0 medium, 0 low, 6 info, 1 not checked",
    );
  });
});
