import { attachedTo, describe, known, type RunbooksStackPolicy } from "../lib/policy";
import { AWS } from "../lib/types";
import { backupBuckets } from "./buckets";

const SETTINGS = [
  "blockPublicAcls",
  "blockPublicPolicy",
  "ignorePublicAcls",
  "restrictPublicBuckets",
];

/** A dump is the whole database: one public ACL or policy statement publishes every row. */
export const disallowPublicBackupBucketAccess: RunbooksStackPolicy = {
  name: "disallow-public-backup-bucket-access",
  description:
    "Every backup bucket blocks all public access: public ACLs and public bucket policies are refused and ignored.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Declare an aws.s3.BucketPublicAccessBlock for the bucket with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true.",
  tags: ["backups", "aws", "s3"],
  validateStack: ({ resources }, report) => {
    for (const bucket of backupBuckets(resources)) {
      const blocks = attachedTo(resources, AWS.publicAccessBlock, "bucket", bucket);
      const complete = blocks.some((b) => SETTINGS.every((s) => known(() => b.props[s]) === true));
      if (complete) continue;
      const missing =
        blocks.length === 0
          ? SETTINGS
          : SETTINGS.filter((s) => !blocks.some((b) => known(() => b.props[s]) === true));
      report(
        `${describe(bucket)} does not block all public access (not true: ${missing.join(", ")})`,
        bucket.urn,
      );
    }
  },
};
