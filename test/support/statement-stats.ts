/**
 * What the RLS provider sent to a database, counted by pg_stat_statements:
 * the evidence behind "one catalog query per refresh" and "no DDL on a
 * no-op", shared by the integration tests and the benchmarks.
 */
import { SNAPSHOT_MARKER } from "../../infra/rls/catalog";

/** Runs one statement on the database being measured and returns its rows. */
export type StatementRunner = <T = Record<string, unknown>>(
  text: string,
  params?: unknown[],
) => Promise<T[]>;

/** Policy DDL, ALTER TABLE (ENABLE/FORCE RLS) and explicit locks, anywhere in a statement. */
export const DDL_PATTERN = /^\s*(create|alter|drop)\s+policy|alter\s+table|lock\s+table/im;

export interface StatementStats {
  /** Calls of the provider's one catalog snapshot query. */
  catalogSnapshotQueries: number;
  /** DDL statements seen, with their calls (an empty list is the no-op proof). */
  ddl: { query: string; calls: number }[];
  ddlStatements: number;
  /** Every statement, less the counting queries themselves. */
  totalStatements: number;
}

/** Reset only this database's counters: other tests share the server. */
export async function resetStatementStats(run: StatementRunner): Promise<void> {
  await run(
    "select pg_stat_statements_reset(0, (select oid from pg_database where datname = current_database()), 0)",
  );
}

/** Statements run in this database since the last reset; only `role`'s when given. */
export async function readStatementStats(
  run: StatementRunner,
  options: { role?: string } = {},
): Promise<StatementStats> {
  const rows = await run<{ query: string; calls: number }>(
    `select s.query, s.calls::int as calls from pg_stat_statements s
     join pg_database d on d.oid = s.dbid join pg_roles r on r.oid = s.userid
     where d.datname = current_database() and ($1::text is null or r.rolname = $1)
       and s.query not like '%pg_stat_statements%'`,
    [options.role ?? null],
  );
  const calls = (list: { calls: number }[]) => list.reduce((n, r) => n + r.calls, 0);
  const ddl = rows.filter((r) => DDL_PATTERN.test(r.query));
  return {
    catalogSnapshotQueries: calls(rows.filter((r) => r.query.includes(SNAPSHOT_MARKER))),
    ddl,
    ddlStatements: calls(ddl),
    totalStatements: calls(rows),
  };
}
