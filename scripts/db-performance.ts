/**
 * `npm run db:performance` — slow queries and cache health. Read-only: it
 * never resets statistics.
 *
 * Exit 0: nothing above info; 1: a warning or critical finding; 2: could not check.
 */
import {
  assessPerformance,
  DEFAULT_PERFORMANCE_THRESHOLDS,
  readPerformance,
  renderPerformance,
  type PerformanceThresholds,
} from "../infra/checks/db-performance";
import { reportJson } from "../infra/checks/findings";
import { type NumberOptionSpec } from "./lib/options";
import { runReadOnlyCheck } from "../infra/postgres/session";
import {
  EXIT_OK,
  EXIT_PROBLEM,
  numberFlag,
  requireDatabaseUrl,
  run,
  type CommonFlags,
  type ExitCode,
} from "./lib/cli";

export const USAGE = `Usage: npm run db:performance -- [options]

Slow queries and cache health, from the statistics Postgres keeps since they
were last reset: the top statements by total and by mean time
(pg_stat_statements), the cache hit ratio, tables read mostly by sequential
scans (missing-index candidates) and indexes that are never used. Read-only.

Options:
  --database-url <url>   connection string (default: $DATABASE_URL)
  --top <n>              statements per list (default 10)
  --json                 print the snapshot and the findings as JSON
  --help                 this text

Exit codes: 0 all good, 1 a warning or critical finding, 2 could not check.`;

const APPLICATION_NAME = "runbooks:db:performance";

const TOP: NumberOptionSpec = { flag: "top", default: 10, min: 1, max: 100, integer: true };

export interface DbPerformanceIo {
  out: (line: string) => void;
  env: NodeJS.ProcessEnv;
  /** Thresholds the flags do not reach, for tests and callers. */
  thresholds?: Partial<PerformanceThresholds>;
}

export async function main(
  flags: CommonFlags,
  io: Partial<DbPerformanceIo> = {},
): Promise<ExitCode> {
  const out = io.out ?? ((line: string) => console.log(line));
  const url = requireDatabaseUrl(flags, io.env ?? process.env);
  const top = numberFlag(flags, TOP);
  const thresholds: PerformanceThresholds = { ...DEFAULT_PERFORMANCE_THRESHOLDS, ...io.thresholds };
  const { report, problem } = await runReadOnlyCheck({
    connectionString: url,
    applicationName: APPLICATION_NAME,
    activity: "read the performance statistics",
    thresholds,
    read: (client) => readPerformance(client, { top }),
    assess: assessPerformance,
  });
  const code = problem ? EXIT_PROBLEM : EXIT_OK;
  out(flags.json ? reportJson(report, code) : renderPerformance(report));
  return code;
}

if (require.main === module) void run(main, { usage: USAGE });
