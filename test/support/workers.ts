/**
 * How many test files run at once, and so how many Postgres clusters the
 * harness starts: one per worker.
 *
 * Vitest's default is one worker per core less one, a single worker on a
 * 2-core runner, where most test time is spent waiting on Postgres, S3 and
 * the engine rather than computing. Two workers need two clusters: roles,
 * pg_stat_statements and pg_stat_activity are cluster-wide, so one file's
 * roles (an e2e stack's BYPASSRLS owner) would show up in another file's RLS
 * lint, and one file's statement counts would include another's. Against an
 * external DATABASE_URL there is one cluster, so files run one at a time.
 */
import { availableParallelism } from "node:os";

export const TEST_WORKERS = process.env.DATABASE_URL ? 1 : Math.max(2, availableParallelism() - 1);

/** This worker's index into the clusters (VITEST_POOL_ID counts from 1). */
export function workerIndex(): number {
  const id = Number(process.env.VITEST_POOL_ID ?? "1");
  return (Number.isInteger(id) && id > 0 ? id - 1 : 0) % TEST_WORKERS;
}
