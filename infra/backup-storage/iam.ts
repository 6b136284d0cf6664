/**
 * The backup storage's policy documents: the bucket policy (TLS only, this
 * bucket's KMS key only) and the GitHub OIDC role's trust and access.
 */
import type { PolicyDocument } from "../lib/aws-iam";

/** The GitHub Actions OIDC issuer, without scheme (as IAM condition keys use it). */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_OIDC_URL = `https://${GITHUB_OIDC_HOST}`;
/** The audience `aws-actions/configure-aws-credentials` requests. */
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";

// ---------------------------------------------------------------------------
// Backup bucket
// ---------------------------------------------------------------------------

/**
 * Bucket policy: deny every request that is not TLS, and deny uploads that ask
 * for any encryption other than this bucket's customer-managed key.
 *
 * Uploads that carry no encryption header are not denied: S3 applies the
 * bucket's default (this CMK) to them, and multipart `UploadPart` requests —
 * which S3 authorizes as `s3:PutObject` — never carry the header. Denying a
 * missing header would break every large (multipart) dump.
 */
export function backupBucketPolicy(args: { bucketArn: string; kmsKeyArn: string }): PolicyDocument {
  const objects = `${args.bucketArn}/*`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [args.bucketArn, objects],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "DenyUploadsNotEncryptedWithKms",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: objects,
        Condition: {
          Null: { "s3:x-amz-server-side-encryption": "false" },
          StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
        },
      },
      {
        Sid: "DenyUploadsWithAnotherKmsKey",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: objects,
        Condition: {
          Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "false" },
          StringNotEquals: { "s3:x-amz-server-side-encryption-aws-kms-key-id": args.kmsKeyArn },
        },
      },
      {
        Sid: "DenyCustomerProvidedKeys",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: objects,
        Condition: { Null: { "s3:x-amz-server-side-encryption-customer-algorithm": "false" } },
      },
    ],
  };
}

// ---------------------------------------------------------------------------
// GitHub OIDC
// ---------------------------------------------------------------------------

export interface GithubSubjectArgs {
  /** Organisation or user owning the repository. */
  owner: string;
  /** Repository name without the owner. */
  repository: string;
  /** Branch whose workflows may assume the role (used when no environment is given). */
  branch: string;
  /** GitHub environment whose jobs may assume the role. */
  environment?: string;
}

const WILDCARD = /[*?]/;

/**
 * The exact `sub` claims allowed to assume the role.
 *
 * A job that names an environment gets `repo:<o>/<r>:environment:<env>` as its
 * subject (not the branch), so with an environment only that subject is
 * trusted and the environment's own branch rules decide which branches may
 * use it. Without one, only pushes/schedules on the one branch are trusted.
 */
export function githubOidcSubjects(args: GithubSubjectArgs): string[] {
  for (const [field, value] of Object.entries(args)) {
    if (
      value !== undefined &&
      (WILDCARD.test(value) || value.includes(":") || value.trim() === "")
    ) {
      throw new Error(
        `GitHub OIDC subject field '${field}' must be an exact, non-empty name without '*', '?' or ':' (got '${value}')`,
      );
    }
  }
  const repo = `repo:${args.owner}/${args.repository}`;
  return args.environment !== undefined
    ? [`${repo}:environment:${args.environment}`]
    : [`${repo}:ref:refs/heads/${args.branch}`];
}

/** Trust policy: only these exact subjects, only with the STS audience, only through the GitHub OIDC provider. */
export function githubTrustPolicy(args: {
  providerArn: string;
  subjects: string[];
}): PolicyDocument {
  if (args.subjects.length === 0)
    throw new Error("a GitHub OIDC trust policy needs at least one subject");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "GithubActionsOidc",
        Effect: "Allow",
        Principal: { Federated: args.providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
            [`${GITHUB_OIDC_HOST}:sub`]:
              args.subjects.length === 1 ? args.subjects[0]! : args.subjects,
          },
        },
      },
    ],
  };
}

/**
 * What the backup job may do: write and read dumps under its prefix (reads are
 * for verify/restore drills), list only that prefix, abort its own failed
 * multipart uploads, use the bucket's key through S3 only, and publish the
 * backup metric in its namespace. No delete: retention is the lifecycle
 * rules' job, so a stolen token cannot erase history.
 */
export function backupAccessPolicy(args: {
  bucketArn: string;
  prefix: string;
  kmsKeyArn: string;
  region: string;
  metricNamespace: string;
}): PolicyDocument {
  const objects = `${args.bucketArn}/${args.prefix}*`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadWriteDumpsUnderPrefix",
        Effect: "Allow",
        Action: [
          "s3:PutObject",
          "s3:GetObject",
          "s3:GetObjectVersion",
          "s3:AbortMultipartUpload",
          "s3:ListMultipartUploadParts",
        ],
        Resource: objects,
      },
      {
        Sid: "ListOnlyThePrefix",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: args.bucketArn,
        Condition: { StringLike: { "s3:prefix": [args.prefix, `${args.prefix}*`] } },
      },
      {
        // A backup aborts the multipart uploads a killed earlier run left behind; finding them needs this.
        Sid: "FindUnfinishedUploads",
        Effect: "Allow",
        Action: "s3:ListBucketMultipartUploads",
        Resource: args.bucketArn,
      },
      {
        Sid: "UseTheBackupKeyThroughS3",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: args.kmsKeyArn,
        Condition: { StringEquals: { "kms:ViaService": `s3.${args.region}.amazonaws.com` } },
      },
      {
        // PutMetricData has no resource-level permissions; the namespace condition is the limit.
        Sid: "PublishBackupMetric",
        Effect: "Allow",
        Action: "cloudwatch:PutMetricData",
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": args.metricNamespace } },
      },
    ],
  };
}

// ---------------------------------------------------------------------------
// Pull-request preview
// ---------------------------------------------------------------------------

/**
 * The `sub` claim of a job run for a pull request of one repository. GitHub
 * issues it only to workflows of that repository (a fork's pull request gets
 * no id-token at all), so a role trusting it is reachable from PR previews
 * and from nothing else.
 */
export function githubPullRequestSubject(repository: string): string {
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository))
    throw new Error(
      `GitHub repository '${repository}' must be 'owner/name' without '*', '?' or ':'`,
    );
  return `repo:${repository}:pull_request`;
}

/**
 * What `pulumi preview` needs to read the resources this program manages in
 * AWS (bucket settings, the key's metadata, IAM roles, topics, alarms, health
 * checks, budgets, Slack channels) and nothing it could change anything
 * with. Object reads are denied outright: a pull request must never be able
 * to download a dump, whatever else gets attached to the role later.
 */
export function previewReadPolicy(): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadManagedResourceSettings",
        Effect: "Allow",
        Action: [
          "s3:GetBucket*",
          "s3:GetAccelerateConfiguration",
          "s3:GetEncryptionConfiguration",
          "s3:GetLifecycleConfiguration",
          "s3:GetReplicationConfiguration",
          "s3:ListBucket",
          "kms:DescribeKey",
          "kms:GetKeyPolicy",
          "kms:GetKeyRotationStatus",
          "kms:ListAliases",
          "kms:ListResourceTags",
          "iam:GetOpenIDConnectProvider",
          "iam:GetPolicy",
          "iam:GetPolicyVersion",
          "iam:GetRole",
          "iam:GetRolePolicy",
          "iam:ListAttachedRolePolicies",
          "iam:ListRolePolicies",
          "iam:ListRoleTags",
          "sns:GetSubscriptionAttributes",
          "sns:GetTopicAttributes",
          "sns:ListSubscriptionsByTopic",
          "sns:ListTagsForResource",
          "cloudwatch:DescribeAlarms",
          "cloudwatch:ListTagsForResource",
          "route53:GetHealthCheck",
          "route53:ListTagsForResource",
          "budgets:ViewBudget",
          "budgets:ListTagsForResource",
          "chatbot:DescribeSlackChannelConfigurations",
          "chatbot:ListTagsForResource",
        ],
        Resource: "*",
      },
      {
        Sid: "NeverReadBackupContents",
        Effect: "Deny",
        Action: ["s3:GetObject", "s3:GetObjectVersion", "kms:Decrypt"],
        Resource: "*",
      },
    ],
  };
}
