import {
  asList,
  attachedTo,
  describe,
  isSet,
  known,
  knownString,
  type RunbooksStackPolicy,
} from "../lib/policy";
import { AWS } from "../lib/types";
import { backupBuckets } from "./buckets";

const KMS_ALGORITHMS = ["aws:kms", "aws:kms:dsse"];

interface EncryptionRule {
  applyServerSideEncryptionByDefault?: { sseAlgorithm?: string; kmsMasterKeyId?: string };
}

/** SSE-S3 encrypts too, but anyone who can read the bucket can read it; a customer-managed key adds a second gate and an audit trail. */
export const requireBackupBucketKmsEncryption: RunbooksStackPolicy = {
  name: "require-backup-bucket-kms-encryption",
  description: "Every backup bucket encrypts objects by default with a customer-managed KMS key.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Declare an aws.s3.BucketServerSideEncryptionConfiguration for the bucket with sseAlgorithm 'aws:kms' and kmsMasterKeyId set to the backup key's ARN.",
  tags: ["backups", "aws", "s3", "kms"],
  validateStack: ({ resources }, report) => {
    for (const bucket of backupBuckets(resources)) {
      const configs = attachedTo(resources, AWS.encryption, "bucket", bucket);
      const rules = configs.flatMap((c) => asList(known(() => c.props.rules as EncryptionRule[])));
      const kms = rules.some((rule) => {
        const algorithm = knownString(() => rule.applyServerSideEncryptionByDefault?.sseAlgorithm);
        return (
          algorithm !== undefined &&
          KMS_ALGORITHMS.includes(algorithm) &&
          isSet(() => rule.applyServerSideEncryptionByDefault?.kmsMasterKeyId)
        );
      });
      if (kms) continue;
      report(
        configs.length === 0
          ? `${describe(bucket)} has no default encryption configuration`
          : `${describe(bucket)} is not encrypted by default with a customer-managed KMS key (sseAlgorithm aws:kms with a kmsMasterKeyId)`,
        bucket.urn,
      );
    }
  },
};
