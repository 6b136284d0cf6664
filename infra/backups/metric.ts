/**
 * The freshness signal: `Runbooks/Backups LastSuccessTimestamp` with
 * `Stack=<stack>`, the metric the stale-backup alarm of infra/alerts/ watches
 * (missing data breaches). It is published only after a verified backup —
 * by runBackup, as its very last step — so a failed dump, upload, manifest or
 * verification all look the same to the alarm: no success.
 */
import { BACKUP_METRIC } from "../alerts/backup-metric";

export interface MetricTarget {
  stack: string;
  region: string;
  /** A custom CloudWatch endpoint (the test harness's moto server); omit for AWS. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

function client(target: MetricTarget) {
  const { CloudWatchClient } =
    require("@aws-sdk/client-cloudwatch") as typeof import("@aws-sdk/client-cloudwatch");
  return new CloudWatchClient({
    region: target.region,
    endpoint: target.endpoint,
    // A copy: the SDK writes bookkeeping ($source) into the credentials object it is given.
    credentials: target.credentials && { ...target.credentials },
    maxAttempts: 3,
  });
}

/** Publish one success at `at` (the value is its Unix time, in seconds). */
export async function publishBackupMetric(target: MetricTarget, at: Date): Promise<void> {
  const { PutMetricDataCommand } =
    require("@aws-sdk/client-cloudwatch") as typeof import("@aws-sdk/client-cloudwatch");
  const cw = client(target);
  try {
    await cw.send(
      new PutMetricDataCommand({
        Namespace: BACKUP_METRIC.namespace,
        MetricData: [
          {
            MetricName: BACKUP_METRIC.metricName,
            Dimensions: [{ Name: BACKUP_METRIC.dimension, Value: target.stack }],
            Timestamp: at,
            Value: Math.floor(at.getTime() / 1000),
            Unit: "None",
          },
        ],
      }),
    );
  } catch (error) {
    const e = error as { name?: string; message?: string };
    throw new Error(
      `the backup is stored and verified, but publishing ${BACKUP_METRIC.namespace} ${BACKUP_METRIC.metricName} failed ` +
        `(${e.name ?? "Error"}: ${e.message ?? String(error)}); the stale-backup alarm will fire unless the next run publishes. ` +
        `Fix: the credentials need cloudwatch:PutMetricData in namespace ${BACKUP_METRIC.namespace}.`,
    );
  } finally {
    cw.destroy();
  }
}

/** Successes published between `from` and `to` (SampleCount per period), for status and tests. */
export async function readBackupMetric(
  target: MetricTarget,
  from: Date,
  to: Date,
): Promise<{ timestamp: Date; count: number; latest: number }[]> {
  const { GetMetricStatisticsCommand } =
    require("@aws-sdk/client-cloudwatch") as typeof import("@aws-sdk/client-cloudwatch");
  const cw = client(target);
  try {
    const out = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: BACKUP_METRIC.namespace,
        MetricName: BACKUP_METRIC.metricName,
        Dimensions: [{ Name: BACKUP_METRIC.dimension, Value: target.stack }],
        StartTime: from,
        EndTime: to,
        Period: 60,
        Statistics: ["SampleCount", "Maximum"],
      }),
    );
    return (out.Datapoints ?? [])
      .map((d) => ({ timestamp: d.Timestamp!, count: d.SampleCount ?? 0, latest: d.Maximum ?? 0 }))
      .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  } finally {
    cw.destroy();
  }
}
