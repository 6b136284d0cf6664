/** `db:performance` — slow queries and cache health. Read-only: it never resets statistics. */
import { readPerformance } from "../infra/checks/db-performance";
import {
  assessPerformance,
  DEFAULT_PERFORMANCE_THRESHOLDS,
  renderPerformanceHeader,
  type PerformanceThresholds,
} from "../infra/checks/db-performance-findings";
import { runReadOnlyCheck } from "../infra/checks/read-only-check";
import { defineCommand, type ArgSpecs } from "./lib/command";
import { runAsMain } from "./lib/main";

const ARGS = {
  top: {
    type: "number",
    valueHint: "n",
    description: "statements per list",
    default: 10,
    min: 1,
    max: 100,
    integer: true,
  },
} as const satisfies ArgSpecs;

export interface DbPerformanceDeps {
  /** Thresholds the flags do not reach. */
  thresholds: Partial<PerformanceThresholds>;
}

export const dbPerformance = defineCommand<typeof ARGS, DbPerformanceDeps>({
  name: "db:performance",
  description: "Slow queries, cache hit ratio, missing and unused indexes",
  help:
    "From the statistics Postgres keeps since they were last reset: the top statements by total and\n" +
    "by mean time (pg_stat_statements), the cache hit ratio, tables read mostly by sequential scans\n" +
    "(missing-index candidates) and indexes never used. Read-only. Without pg_stat_statements the\n" +
    "other checks still run, and the command exits 2 (could not check) unless they found a problem.",
  shared: ["database-url", "json", "quiet"],
  args: ARGS,
  async run({ args, database, deps }) {
    const { report, findings } = await runReadOnlyCheck({
      connectionString: database.connectionString,
      applicationName: "runbooks:db:performance",
      activity: "read the performance statistics",
      thresholds: { ...DEFAULT_PERFORMANCE_THRESHOLDS, ...deps.thresholds },
      read: (client) => readPerformance(client, { top: args.top }),
      assess: assessPerformance,
    });
    return { findings, report, text: renderPerformanceHeader(report) };
  },
});

runAsMain(module, dbPerformance);
