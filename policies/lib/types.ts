/**
 * The resource type tokens the policies read, in one place. Strings rather
 * than the provider classes: the pack then loads without the providers' SDKs,
 * so a policy run costs no more than the checks themselves.
 */
export const AWS = {
  bucket: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
  versioning: [
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
  ],
  encryption: [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  ],
  publicAccessBlock: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
  bucketPolicy: ["aws:s3/bucketPolicy:BucketPolicy"],
  lifecycle: [
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
  ],
  role: ["aws:iam/role:Role"],
  rolePolicy: ["aws:iam/rolePolicy:RolePolicy"],
  rolePolicyAttachment: ["aws:iam/rolePolicyAttachment:RolePolicyAttachment"],
  healthCheck: ["aws:route53/healthCheck:HealthCheck"],
  metricAlarm: ["aws:cloudwatch/metricAlarm:MetricAlarm"],
  topic: ["aws:sns/topic:Topic"],
  topicSubscription: ["aws:sns/topicSubscription:TopicSubscription"],
  slackChannel: ["aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"],
  budget: ["aws:budgets/budget:Budget"],
} as const;

export const VERCEL = {
  envVar: ["vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable"],
} as const;

export const GITHUB = {
  variable: [
    "github:index/actionsVariable:ActionsVariable",
    "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
    "github:index/actionsOrganizationVariable:ActionsOrganizationVariable",
  ],
  secret: [
    "github:index/actionsSecret:ActionsSecret",
    "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
    "github:index/actionsOrganizationSecret:ActionsOrganizationSecret",
  ],
} as const;

/** One RLS table (infra/rls/rls-table.ts). */
export const RLS_TABLE_TYPE = "pulumi-nodejs:dynamic/runbooks-postgres:RlsTable";

/** The tag `purpose` value the backup-storage area puts on its bucket, key and role. */
export const BACKUP_PURPOSE = "backups";

/** Whether any resource of the stack lives in AWS: the stack-wide AWS rules apply then. */
export function managesAws(resources: readonly { type: string }[]): boolean {
  return resources.some((r) => r.type.startsWith("aws:"));
}
