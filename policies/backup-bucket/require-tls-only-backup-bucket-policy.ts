import { attachedTo, describe, knownString, type RunbooksStackPolicy } from "../lib/policy";
import { deniesInsecureTransport, parseDocument } from "../lib/iam-documents";
import { AWS } from "../lib/types";
import { backupBuckets } from "./buckets";

/** Credentials and dumps must never cross the network in clear text, whichever client asks. */
export const requireTlsOnlyBackupBucketPolicy: RunbooksStackPolicy = {
  name: "require-tls-only-backup-bucket-policy",
  description:
    "Every backup bucket has a bucket policy that denies any request to the bucket or its objects not made over TLS.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Attach an aws.s3.BucketPolicy with a Deny statement for Principal '*', Action 's3:*', Resource [bucket ARN, bucket ARN + '/*'] and Condition Bool aws:SecureTransport 'false' (backupBucketPolicy in infra/backup-storage/iam.ts writes it).",
  tags: ["backups", "aws", "s3"],
  validateStack: ({ resources }, report) => {
    for (const bucket of backupBuckets(resources)) {
      const arn = knownString(() => bucket.props.arn);
      const policies = attachedTo(resources, AWS.bucketPolicy, "bucket", bucket);
      // The document is read without a fallback: while it is unknown (preview of a
      // new bucket) the analyzer reports that this policy could not run yet.
      const tlsOnly = policies.some((p) => {
        const doc = parseDocument(p.props.policy);
        return doc !== undefined && deniesInsecureTransport(doc, arn);
      });
      if (tlsOnly) continue;
      report(
        policies.length === 0
          ? `${describe(bucket)} has no bucket policy, so requests without TLS are allowed`
          : `${describe(bucket)}'s bucket policy does not deny requests made without TLS`,
        bucket.urn,
      );
    }
  },
};
