import { attachedTo, describe, known, knownString, type RunbooksStackPolicy } from "../lib/policy";
import { AWS } from "../lib/types";
import { backupBuckets } from "./buckets";

/** Without versioning an overwrite or a delete destroys a dump for good. */
export const requireBackupBucketVersioning: RunbooksStackPolicy = {
  name: "require-backup-bucket-versioning",
  description:
    "Every backup bucket has versioning enabled, so an overwritten or deleted dump can still be recovered.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Declare an aws.s3.BucketVersioning for the bucket with versioningConfiguration.status 'Enabled' (the BackupBucket component in infra/backup-storage/ does this for buckets it creates).",
  tags: ["backups", "aws", "s3"],
  validateStack: ({ resources }, report) => {
    for (const bucket of backupBuckets(resources)) {
      const inline = known(() => bucket.props.versioning?.enabled) === true;
      const statuses = attachedTo(resources, AWS.versioning, "bucket", bucket).map((v) =>
        knownString(() => v.props.versioningConfiguration?.status),
      );
      if (inline || statuses.includes("Enabled")) continue;
      report(
        statuses.length === 0
          ? `${describe(bucket)} has no versioning configuration`
          : `${describe(bucket)} has versioning ${statuses.join(", ") || "unset"}, not Enabled`,
        bucket.urn,
      );
    }
  },
};
