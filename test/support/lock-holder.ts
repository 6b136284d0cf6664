/**
 * A session that runs one statement in an open transaction and so holds what
 * it locks (a `LOCK TABLE`, a `REINDEX`, …) until `release` rolls it back:
 * how the lock tests make another session wait without depending on timing.
 */
import { Client } from "pg";

export interface LockHolder {
  /** The holding session's backend pid, as pg_locks and error messages name it. */
  pid: number;
  release(): Promise<void>;
}

export async function holdLock(
  connectionString: string,
  statement: string,
  applicationName = "test-lock-holder",
): Promise<LockHolder> {
  const holder = new Client({ connectionString, application_name: applicationName });
  await holder.connect();
  await holder.query("begin");
  await holder.query(statement);
  const { rows } = await holder.query<{ pid: number }>("select pg_backend_pid() as pid");
  return {
    pid: rows[0]!.pid,
    release: async () => {
      await holder.query("rollback").catch(() => undefined);
      await holder.end();
    },
  };
}
