/**
 * A read-only session for the operational checks: safe to point at
 * production while it is on fire.
 *
 * Everything runs in one READ ONLY transaction that is rolled back, with a
 * statement and lock timeout set LOCAL to it — so nothing leaks into a
 * transaction-mode pooler's shared connection (Supabase port 6543), a slow
 * catalog never keeps the check waiting, and `application_name` tells the
 * operator in pg_stat_activity that it was us.
 */
import { withTransaction, type Queryable } from "./client";

export interface ReadOnlySessionOptions {
  connectionString: string;
  /** Shown in pg_stat_activity, e.g. `runbooks:db:status`. */
  applicationName: string;
  /** Longest any one statement may run. */
  statementTimeoutMs?: number;
  /** Longest any one statement may wait for a lock. */
  lockTimeoutMs?: number;
}

export async function withReadOnlySession<T>(
  options: ReadOnlySessionOptions,
  context: string,
  fn: (client: Queryable) => Promise<T>,
): Promise<T> {
  const statementTimeout = Math.round(options.statementTimeoutMs ?? 10_000);
  const lockTimeout = Math.round(options.lockTimeoutMs ?? 2_000);
  return withTransaction(
    { connectionString: options.connectionString, applicationName: options.applicationName },
    context,
    async (client) => {
      // Tagged so pg_stat_statements readers can tell these apart from the app's statements.
      const tag = `/* ${options.applicationName.replace(/[^A-Za-z0-9:_.-]/g, "")} */`;
      await client.query(`${tag} set transaction read only`);
      // SET LOCAL takes no bind parameters; the values are integers we computed.
      await client.query(`${tag} set local statement_timeout = ${statementTimeout}`);
      await client.query(`${tag} set local lock_timeout = ${lockTimeout}`);
      return fn(client);
    },
    { rollback: true },
  );
}
