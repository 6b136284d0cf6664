/**
 * A row count that fails while pg_dump is still running stops the dump, and
 * the backup records nothing: runBackup throws the count's error, no manifest
 * is written and latest.json stays as the previous good backup left it, the
 * dump's multipart upload is aborted, no freshness metric is published, and
 * pg_dump's session does not outlive the run. The counts run on the backup's
 * own session beside the dump (snapshot.ts), so when one fails a stream is
 * mid-upload; without the abort the run would wait for a dump whose backup can
 * no longer be recorded (here, forever: the dump is held at a lock).
 *
 * Locks hold both sides still, so nothing depends on timing. pg_dump waits
 * for pg_largeobject (a test session holds it in SHARE mode; reading a large
 * object needs ROW EXCLUSIVE) after it has streamed a table's worth of data,
 * more than one part. The count waits for an index a REINDEX holds: planning
 * a count opens the table's indexes, and the ACCESS SHARE lock the backup
 * takes on the table before the dump does not cover them. The count then
 * fails as an operator cancels it, or as
 * its whole session is terminated (an admin's pg_terminate_backend, or a
 * failover): the server closes the backup's checked-out connection under it,
 * which must reach runBackup as the count's error, not as an 'error' event no
 * one listens for (that would kill a real run's process; vitest fails the run
 * on it, so that case passing shows none escaped).
 *
 * A count whose lock wait runs past lock_timeout is not a failure: the dump
 * is fine, so the backup completes with that table's planner estimate and
 * says why (a savepoint keeps the snapshot's transaction usable).
 */
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackup, type BackupOptions } from "../../../infra/backups/backup";
import { latestKey } from "../../../infra/backups/manifest";
import { BackupSetupError } from "../../../infra/backups/pg-tools";
import { closePools, PostgresError } from "../../../infra/postgres/client";
import {
  bucket,
  getText,
  listKeys,
  location,
  metricCount,
  metricTarget,
  multipartUploads,
  seeded,
  type Db,
} from "./helpers";
import { holdLock } from "../../support/lock-holder";

const BUCKET = "count-failure";
const MIB = 1024 * 1024;

let source: Db;

beforeAll(async () => {
  await bucket(BUCKET);
  source = await seeded("bkcount");
  // ~8 MB of incompressible bytes (about as much again as hex in the dump): more than one
  // 5 MiB part goes up before pg_dump reaches the large objects.
  await source.sql(
    "create table public.payload as select g as id, decode(string_agg(md5(g::text || '-' || i::text || random()::text), ''), 'hex') as b from generate_series(1, 1000) g, generate_series(1, 500) i group by g",
  );
});

afterAll(async () => {
  await source?.drop();
  await closePools();
});

async function connect(applicationName: string): Promise<Client> {
  const c = new Client({ connectionString: source.url, application_name: applicationName });
  await c.connect();
  return c;
}

/** Ask `probe` until it answers, and fail naming what never happened after `ms`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const answer = await probe();
    if (answer !== undefined) return answer;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The run's outcome: its error, or a string saying it resolved or was still running after `ms`. */
async function outcomeWithin(run: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`still running ${ms} ms after its count failed`), ms);
  });
  try {
    return await Promise.race([
      run.then(
        () => "resolved",
        (error: unknown) => error,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const BACKUP_SESSIONS = `select pid, wait_event_type, query from pg_stat_activity
  where datname = $1 and application_name = 'runbooks-backup' and backend_type = 'client backend'`;

interface Session {
  pid: number;
  wait_event_type: string | null;
  query: string;
}

/** A stack whose first backup succeeded: what the failed run that follows must leave as it was. */
async function afterAGoodBackup(name: string, extra: Partial<BackupOptions> = {}) {
  const stack = `${name}-${Date.now()}`;
  const options: BackupOptions = {
    databaseUrl: source.url,
    location: location(BUCKET, { prefix: `${stack}/` }),
    metric: metricTarget(stack),
    stack,
    partSizeBytes: 5 * MIB,
    ...extra,
  };
  await runBackup(options);
  const latest = await getText(options.location, latestKey(options.location.prefix));
  const metrics = await metricCount(stack);
  // Else "no metric published" below would prove nothing.
  expect(metrics).toBe(1);
  return { stack, options, latest, metrics };
}

/**
 * Start the backup with pg_dump held at pg_largeobject and the count of public.notes at its
 * index, run it until both wait for their locks and the dump's multipart upload is open, then
 * `stop` the count's session (its pid) and take the run's outcome. The locks are still held
 * then: only the abort a failed count triggers can end the dump. They are released, and the
 * run settled, before this returns.
 */
async function stopTheCountMidUpload(
  options: BackupOptions,
  observer: Client,
  stop: (countPid: number) => Promise<void>,
) {
  const held = [
    await holdLock(source.url, "reindex index public.notes_pkey", "bk-count-reindex"),
    await holdLock(source.url, "lock table pg_catalog.pg_largeobject in share mode", "bk-count-lo"),
  ];
  let run: Promise<unknown> | undefined;
  try {
    run = runBackup(options);
    // Its outcome is awaited below; until then a rejection must not be unhandled.
    run.catch(() => undefined);
    const countPid = await until("the count and pg_dump both waiting for a lock", async () => {
      const rows = (await observer.query(BACKUP_SESSIONS, [source.name])).rows as Session[];
      const blocked = rows.filter((r) => r.wait_event_type === "Lock");
      const count = blocked.find((r) => r.query.startsWith("select count(*)"));
      return count && blocked.length === 2 ? count.pid : undefined;
    });
    // The dump is mid-upload, not merely started.
    const uploading = await until("the dump's multipart upload", async () => {
      const found = await multipartUploads(options.location);
      return found.length > 0 ? found : undefined;
    });
    await stop(countPid);
    return { outcome: await outcomeWithin(run, 15_000), uploading };
  } finally {
    for (const h of held) await h.release();
    await run?.catch(() => undefined);
  }
}

async function assertNothingRecorded(
  before: Awaited<ReturnType<typeof afterAGoodBackup>>,
  observer: Client,
) {
  const { options, latest, stack, metrics } = before;
  const keys = await listKeys(options.location);
  expect(keys.filter((k) => k.endsWith("/manifest.json"))).toHaveLength(1);
  expect(await getText(options.location, latestKey(options.location.prefix))).toBe(latest);
  expect(await multipartUploads(options.location)).toEqual([]);
  expect(await metricCount(stack)).toBe(metrics);
  // With the pools closed no backup session remains, pg_dump's included: it was killed while
  // its server session waited for the lock, and Postgres notices a vanished client only when
  // that wait ends, so the session goes once the lock is released (above), not before.
  await closePools();
  await until(
    "every backup session ending",
    async () => {
      const rows = (await observer.query(BACKUP_SESSIONS, [source.name])).rows as Session[];
      return rows.length === 0 ? true : undefined;
    },
    10_000,
  );
}

describe("row counts beside the dump: a failed one stops it and records nothing, a lock wait falls back to the estimate", () => {
  it("a count cancelled mid-upload: its error is thrown, the upload aborted", async () => {
    const before = await afterAGoodBackup("cancel");
    const observer = await connect("bk-count-observer");
    try {
      const { outcome, uploading } = await stopTheCountMidUpload(
        before.options,
        observer,
        async (countPid) => {
          await observer.query("select pg_cancel_backend($1)", [countPid]);
        },
      );
      expect(uploading).toHaveLength(1);
      expect(outcome).toBeInstanceOf(PostgresError);
      expect((outcome as PostgresError).code).toBe("57014");
      expect((outcome as Error).message).toMatch(
        /^back up .*canceling statement due to user request/,
      );
      await assertNothingRecorded(before, observer);
    } finally {
      await observer.end();
    }
  });

  it("a count whose session is terminated mid-upload: the dropped connection is its error, the upload aborted", async () => {
    const before = await afterAGoodBackup("terminate");
    const observer = await connect("bk-count-observer-terminate");
    try {
      // The count's session is the backup's own checked-out connection (the snapshot's), so this
      // drops it under a running query. Were its socket's close an 'error' event without a
      // listener, vitest would fail this run as an unhandled error even if every check passed.
      const { outcome, uploading } = await stopTheCountMidUpload(
        before.options,
        observer,
        async (countPid) => {
          const { rows } = await observer.query("select pg_terminate_backend($1) as ok", [
            countPid,
          ]);
          expect((rows[0] as { ok: boolean }).ok).toBe(true);
        },
      );
      expect(uploading).toHaveLength(1);
      expect(outcome).toBeInstanceOf(PostgresError);
      // admin_shutdown: the server's FATAL reply reaches the count before the socket closes.
      expect((outcome as PostgresError).code).toBe("57P01");
      expect((outcome as PostgresError).context).toMatch(/^back up /);
      expect((outcome as Error).message).toMatch(
        /^back up .*terminating connection due to administrator command \[SQLSTATE 57P01\]$/,
      );
      // What an operator is shown mid-incident names the database, never its password.
      const password = new URL(source.url).password;
      if (password) expect((outcome as Error).message).not.toContain(password);
      await assertNothingRecorded(before, observer);
    } finally {
      await observer.end();
    }
  });

  it("a count that waits for a lock longer than lock_timeout: the backup completes with that table's estimate, and says why", async () => {
    const before = await afterAGoodBackup("locktimeout", { lockWaitTimeoutSeconds: 1 });
    const reindex = await holdLock(
      source.url,
      "reindex index public.notes_pkey",
      "bk-count-reindex-timeout",
    );
    let report: Awaited<ReturnType<typeof runBackup>>;
    try {
      report = await runBackup(before.options);
    } finally {
      await reindex.release();
    }
    const manifest = JSON.parse(await getText(before.options.location, report.manifestKey)) as {
      id: string;
      tables: { schema: string; table: string; rows: number; exact: boolean; note?: string }[];
    };
    const notes = manifest.tables.find((t) => t.schema === "public" && t.table === "notes");
    expect(notes?.exact).toBe(false);
    expect(notes?.note).toMatch(/waited past lock_timeout/);
    // Only the table whose index was held: the others are still counted exactly.
    const others = manifest.tables.filter((t) => t !== notes);
    expect(others.length).toBeGreaterThan(0);
    expect(others.every((t) => t.exact && t.note === undefined)).toBe(true);
    // The operator is told, with the command's other lock waits.
    expect(report.lockWaits).toContainEqual(
      expect.stringMatching(/^row count of public\.notes: an exact count waited past lock_timeout/),
    );
    // A complete backup: it is the new latest, and its metric arrives.
    const latest = JSON.parse(
      await getText(before.options.location, latestKey(before.options.location.prefix)),
    ) as { id: string };
    expect(latest.id).toBe(manifest.id);
    expect(latest).not.toEqual(JSON.parse(before.latest));
    expect(await metricCount(before.stack)).toBe(before.metrics + 1);
  });

  it("the large-object count waiting past lock_timeout while pg_dump runs: the error says the dump had started", async () => {
    const before = await afterAGoodBackup("lotimeout", { lockWaitTimeoutSeconds: 1 });
    const observer = await connect("bk-count-observer-lo");
    // Large objects have no estimate to fall back to: their count's lock timeout fails the
    // backup. pg_dump waits at the same catalog (its catalog reads have no lock timeout), so
    // only the count's failure, and the abort it triggers, can end the run.
    const holder = await holdLock(
      source.url,
      "lock table pg_catalog.pg_largeobject_metadata in access exclusive mode",
      "bk-count-lo-exclusive",
    );
    let run: Promise<unknown> | undefined;
    try {
      run = runBackup(before.options);
      run.catch(() => undefined);
      const outcome = await outcomeWithin(run, 15_000);
      expect(outcome).toBeInstanceOf(BackupSetupError);
      expect((outcome as BackupSetupError).id).toBe("require-lock-within-timeout");
      expect((outcome as Error).message).toMatch(
        /^a row count waited more than 1 s for a lock while the dump ran, so the backup was stopped: .*canceling statement due to lock timeout \[SQLSTATE 55P03\] Fix: /,
      );
    } finally {
      await holder.release();
      await run?.catch(() => undefined);
    }
    try {
      await assertNothingRecorded(before, observer);
    } finally {
      await observer.end();
    }
  });
});
