/**
 * The metric the backup job publishes after each successful, verified upload:
 * the upload's time as Unix seconds, with one dimension naming the stack. The
 * alarm only counts samples, so any publisher (the GitHub workflow or this
 * project's backup command) just has to put one data point per success.
 *
 * A module without imports: the backup process publishes it, and must not
 * load the config schemas (and the Pulumi SDK behind their errors) to do so.
 */
export const BACKUP_METRIC = {
  namespace: "Runbooks/Backups",
  metricName: "LastSuccessTimestamp",
  dimension: "Stack",
} as const;
