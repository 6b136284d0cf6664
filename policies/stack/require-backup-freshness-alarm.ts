import { BACKUP_METRIC } from "../../infra/alerts/plan";
import { describe, knownString, type RunbooksStackPolicy } from "../lib/policy";
import { managesAws } from "../lib/types";
import { actionCount, alarmsOn } from "./alerting";

/** Backups fail silently for days unless the absence of a fresh one is itself an alarm. */
export const requireBackupFreshnessAlarm: RunbooksStackPolicy = {
  name: "require-backup-freshness-alarm",
  description:
    "A cloud stack has an alarm on the backup-freshness metric that treats missing data as stale and notifies someone.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Turn on features.alerts and features.backups (or backupStorage) in the stack file; the alerts area then declares the backup-stale alarm on Runbooks/Backups LastSuccessTimestamp.",
  tags: ["alerts", "backups", "aws"],
  validateStack: ({ resources }, report) => {
    if (!managesAws(resources)) return;
    const alarms = alarmsOn(resources, BACKUP_METRIC.namespace, BACKUP_METRIC.metricName);
    if (alarms.length === 0) {
      report(
        `the stack has no alarm on ${BACKUP_METRIC.namespace} ${BACKUP_METRIC.metricName}, so a backup that stopped running goes unnoticed`,
      );
      return;
    }
    const good = alarms.filter(
      (a) => knownString(() => a.props.treatMissingData) === "breaching" && actionCount(a) > 0,
    );
    if (good.length === 0)
      for (const a of alarms)
        report(`${describe(a)} must treat missing data as breaching and notify a topic`, a.urn);
  },
};
