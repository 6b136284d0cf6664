/**
 * Lock contention: a second connection holds the table (an open transaction
 * that read it, as pg_dump does, or an explicit ACCESS EXCLUSIVE lock). The
 * apply must wait at most lock_timeout per attempt, retry with backoff, and
 * either succeed once the holder lets go or fail cleanly with the table as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyTable, LockTimeoutError, withLockRetries } from "../../../infra/rls/apply";
import { closePools, withConnection } from "../../../infra/postgres/client";
import { sharedSnapshot } from "../../../infra/rls/snapshot-cache";
import { declareTable } from "../../../infra/rls/model";
import { declaredTextOf } from "../../../infra/rls/stored";
import {
  appDatabase,
  freshProvider,
  inputsFor,
  livePolicies,
  rlsFlags,
  checked,
  type TestDatabase,
} from "./helpers";
import { holdLock } from "../../support/lock-holder";

let db: TestDatabase;

beforeAll(async () => {
  db = await appDatabase("rls_locks");
});

afterAll(async () => {
  await closePools();
  await db?.drop();
});

describe("lock_timeout and retries", () => {
  it("every attempt runs with SET LOCAL lock_timeout, and the setting ends with its transaction", async () => {
    const seen: string[] = [];
    await withLockRetries(
      db.url,
      { schema: "public", table: "agents" },
      "probe",
      { lockTimeoutSeconds: 0.7, lockRetries: 0 },
      async (client) => {
        const { rows } = await client.query("select current_setting('lock_timeout') as v");
        seen.push(rows[0].v as string);
      },
    );
    expect(seen).toEqual(["700ms"]);
    // LOCAL: the pooled connection the attempt used is back to the server default.
    const after = await withConnection(
      { connectionString: db.url, applicationName: "runbooks-rls" },
      "probe",
      async (client) => (await client.query("show lock_timeout")).rows[0].lock_timeout as string,
    );
    expect(after).toBe("0");
  });

  it("a catalog read behind a migration's exclusive lock gives up in bounded time, naming the holder", async () => {
    // pg_get_expr opens a table that has policies, so that is where a read can wait.
    await db.sql(`create table public.migrating (id int primary key);
      create policy p on public.migrating for select using (id > 0);`);
    const holder = await holdLock(db.url, "lock table public.migrating in access exclusive mode");
    try {
      const started = Date.now();
      const error = await sharedSnapshot(`locks-${process.pid}`, 0, db.url, ["public"], {
        lockTimeoutSeconds: 0.2,
        lockRetries: 1,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LockTimeoutError);
      expect((error as Error).message).toContain(
        "read the RLS catalog: a table of public stayed locked for 0.2 s in 2 attempt(s); nothing was changed.",
      );
      expect((error as Error).message).toContain(
        `pid ${holder.pid} (AccessExclusiveLock on public.migrating`,
      );
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await holder.release();
    }
  });

  it("waits behind a backup-like reader, retries with backoff, and succeeds once the reader finishes", async () => {
    const spec = declareTable({ table: "projects", tenant: { column: "tenant_id" } });
    // pg_dump holds ACCESS SHARE for its whole run; policy DDL needs ACCESS EXCLUSIVE.
    const holder = await holdLock(db.url, "select count(*) from public.projects");
    const started = Date.now();
    const releaseAfterMs = 1_200;
    const released = new Promise<void>((resolve) =>
      setTimeout(() => void holder.release().then(resolve), releaseAfterMs),
    );
    const result = await applyTable(db.url, spec, undefined, {
      lockTimeoutSeconds: 0.2,
      lockRetries: 8,
    });
    await released;
    expect(result.attempts).toBeGreaterThan(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(releaseAfterMs - 50);
    expect(await rlsFlags(db, "projects")).toEqual({ enabled: true, forced: true });
    expect(await livePolicies(db, "projects")).toHaveLength(4);
  });

  it("gives up after the bounded retries with a clear error naming the holder, and leaves the table unchanged", async () => {
    const spec = declareTable({ table: "agents", tenant: { column: "tenant_id" } });
    const before = {
      flags: await rlsFlags(db, "agents"),
      policies: await livePolicies(db, "agents"),
    };
    const holder = await holdLock(db.url, "lock table public.agents in access exclusive mode");
    try {
      const provider = freshProvider();
      const inputs = await checked(
        provider,
        inputsFor(spec, db.url, { lockTimeoutSeconds: 0.2, lockRetries: 2 }),
      );
      const started = Date.now();
      const error = await provider.create(inputs).then(
        () => undefined,
        (e: unknown) => e,
      );
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(LockTimeoutError);
      const message = (error as Error).message;
      expect(message).toContain(
        "could not get a lock on public.agents within 0.2 s in 3 attempt(s); nothing was changed",
      );
      expect(message).toContain(`pid ${holder.pid} (AccessExclusiveLock, idle in transaction`);
      expect(message).toContain("application 'test-lock-holder'");
      expect(message).not.toContain(db.url);
      // Three waits of 0.2 s plus two backoffs (≈0.25 s, ≈0.5 s): bounded, not wedged.
      expect(elapsed).toBeGreaterThanOrEqual(3 * 200 + 250 + 500 - 50);
      expect(elapsed).toBeLessThan(10_000);
    } finally {
      await holder.release();
    }
    expect({
      flags: await rlsFlags(db, "agents"),
      policies: await livePolicies(db, "agents"),
    }).toEqual(before);
  });

  it("an update that finds nothing to change does not wait for the lock at all", async () => {
    const spec = declareTable({ table: "tenant_members", tenant: { column: "tenant_id" } });
    const first = await applyTable(db.url, spec, undefined, {
      lockTimeoutSeconds: 2,
      lockRetries: 0,
    });
    const holder = await holdLock(db.url, "select count(*) from public.tenant_members");
    try {
      const again = await applyTable(
        db.url,
        spec,
        { expected: first.live, declaredText: declaredTextOf(spec.policies) },
        { lockTimeoutSeconds: 0.2, lockRetries: 0 },
      );
      expect(again).toMatchObject({ attempts: 1, statements: [] });
    } finally {
      await holder.release();
    }
  });
});
