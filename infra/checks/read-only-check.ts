/**
 * The shape every read-only check command shares: read one snapshot in a
 * read-only session, assess it with a pure function, and release the pool
 * whatever happened.
 */
import type { Finding } from "../lib/findings";
import { closePools, type Queryable } from "../postgres/client";
import { describeTarget } from "../postgres/connection";
import { withReadOnlySession } from "../postgres/session";

/** What a check read and with which limits; its findings travel beside it. */
export interface CheckReport<Snapshot, Thresholds> {
  /** host:port/database, never the user or password. */
  target: string;
  thresholds: Thresholds;
  snapshot: Snapshot;
}

export interface ReadOnlyCheck<Snapshot, Thresholds> {
  connectionString: string;
  /** Shown in pg_stat_activity, e.g. `runbooks:db:status`. */
  applicationName: string;
  /** What is being read, for error messages: "read the database status". */
  activity: string;
  thresholds: Thresholds;
  read: (client: Queryable) => Promise<Snapshot>;
  assess: (snapshot: Snapshot, thresholds: Thresholds) => Finding[];
}

export async function runReadOnlyCheck<Snapshot, Thresholds>(
  check: ReadOnlyCheck<Snapshot, Thresholds>,
): Promise<{ report: CheckReport<Snapshot, Thresholds>; findings: Finding[] }> {
  try {
    const snapshot = await withReadOnlySession(
      { connectionString: check.connectionString, applicationName: check.applicationName },
      check.activity,
      check.read,
    );
    return {
      report: {
        target: describeTarget(check.connectionString),
        thresholds: check.thresholds,
        snapshot,
      },
      findings: check.assess(snapshot, check.thresholds),
    };
  } finally {
    await closePools();
  }
}
