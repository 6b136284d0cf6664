import { BACKUP_JOB_INPUTS, BACKUP_JOB_TYPE } from "../contracts";
import { describe, known, knownString, onTypes, type RunbooksResourcePolicy } from "../lib/policy";
import { longestGapHours } from "../lib/schedule";

export interface BackupJobConfig {
  /** Longest allowed time between two scheduled backups. */
  maxIntervalHours: number;
  /** Fewest days every backup must be kept. */
  minRetentionDays: number;
}

/** A backup older than a day loses a day of customer data; one pruned within a week may be gone before anyone notices the problem. */
export const enforceBackupJobScheduleAndRetention: RunbooksResourcePolicy = {
  name: "enforce-backup-job-schedule-and-retention",
  description:
    "Every backup job runs at least daily, every day of the year, and keeps its backups at least the minimum number of days.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Set runbooks:backup.schedule to a cron that fires at least once a day (e.g. '17 3 * * *') and runbooks:backup.retentionDays to at least the minimum.",
  tags: ["backups"],
  configSchema: {
    properties: {
      maxIntervalHours: { type: "number", exclusiveMinimum: 0, default: 24 },
      minRetentionDays: { type: "integer", minimum: 1, default: 7 },
    },
  },
  validateResource: onTypes([BACKUP_JOB_TYPE], (args, report) => {
    const { maxIntervalHours, minRetentionDays } = args.getConfig<BackupJobConfig>();
    const schedule = knownString(() => args.props[BACKUP_JOB_INPUTS.schedule]);
    if (schedule === undefined)
      report(`${describe(args)} declares no ${BACKUP_JOB_INPUTS.schedule}`);
    else {
      let gap: number;
      try {
        gap = longestGapHours(schedule);
      } catch (err) {
        report(
          `${describe(args)} has schedule '${schedule}' that cannot be read: ${(err as Error).message}`,
        );
        gap = 0;
      }
      if (gap > maxIntervalHours)
        report(
          `${describe(args)} runs on '${schedule}', which leaves up to ${Number.isFinite(gap) ? `${Math.round(gap)} hours` : "forever"} between backups (limit ${maxIntervalHours})`,
        );
    }
    const retention = known(() => args.props[BACKUP_JOB_INPUTS.retentionDays]);
    if (typeof retention !== "number")
      report(`${describe(args)} declares no ${BACKUP_JOB_INPUTS.retentionDays}`);
    else if (retention < minRetentionDays)
      report(
        `${describe(args)} keeps backups ${retention} days, under the minimum of ${minRetentionDays}`,
      );
  }),
};
