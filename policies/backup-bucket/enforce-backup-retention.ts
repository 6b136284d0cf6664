import { asList, attachedTo, describe, known, type RunbooksStackPolicy } from "../lib/policy";
import { AWS } from "../lib/types";
import { backupBuckets } from "./buckets";

export interface BackupRetentionConfig {
  /** Fewest days any lifecycle rule may keep a dump (or a superseded version of it). */
  minRetentionDays: number;
}

interface LifecycleRule {
  id?: string;
  status?: string;
  expiration?: { days?: number };
  noncurrentVersionExpiration?: { noncurrentDays?: number };
}

/** A lifecycle rule that expires dumps too early deletes the history an incident needs. */
export const enforceBackupRetention: RunbooksStackPolicy = {
  name: "enforce-backup-retention",
  description:
    "No lifecycle rule of a backup bucket expires dumps, or their superseded versions, before the team's minimum retention.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Raise runbooks:backup.retentionDays (and noncurrentVersionDays) in the stack file to at least the minimum, or lower minRetentionDays in the policy pack's config if the team agreed to keep less.",
  tags: ["backups", "aws", "s3"],
  configSchema: {
    properties: { minRetentionDays: { type: "integer", minimum: 1, default: 7 } },
  },
  validateStack: (args, report) => {
    const { minRetentionDays } = args.getConfig<BackupRetentionConfig>();
    for (const bucket of backupBuckets(args.resources)) {
      for (const lifecycle of attachedTo(args.resources, AWS.lifecycle, "bucket", bucket)) {
        for (const rule of asList(known(() => lifecycle.props.rules as LifecycleRule[]))) {
          if (known(() => rule.status) !== "Enabled") continue;
          const id = known(() => rule.id) ?? "unnamed";
          const days = known(() => rule.expiration?.days);
          const noncurrent = known(() => rule.noncurrentVersionExpiration?.noncurrentDays);
          if (typeof days === "number" && days < minRetentionDays)
            report(
              `${describe(bucket)}: lifecycle rule '${id}' expires dumps after ${days} days, under the minimum of ${minRetentionDays}`,
              lifecycle.urn,
            );
          if (typeof noncurrent === "number" && noncurrent < minRetentionDays)
            report(
              `${describe(bucket)}: lifecycle rule '${id}' deletes superseded versions after ${noncurrent} days, under the minimum of ${minRetentionDays}`,
              lifecycle.urn,
            );
        }
      }
    }
  },
};
