/**
 * The backup-storage area: the S3 bucket the dumps go to (KMS, versioning,
 * lifecycle, Object Lock) and the role GitHub Actions assumes through OIDC to
 * write them.
 */
import type * as pulumi from "@pulumi/pulumi";
import { BACKUP_METRIC } from "../alerts/plan";
import type { LoadedStackConfig } from "../config/index";
import type { AwsProviders } from "../lib/aws-providers";
import type { TagContext } from "../lib/tags";
import type { StackPlan } from "../plan";
import { BackupBucket } from "./backup-bucket";
import { GithubOidcRole } from "./github-oidc-role";
import { GithubPreviewRole } from "./github-preview-role";

export interface BackupStorageDeps {
  plan: StackPlan;
  aws?: AwsProviders;
}

/** Stack outputs of the area (names and ARNs, nothing secret). */
export interface BackupStorageOutputs {
  bucketName: pulumi.Output<string>;
  bucketArn: pulumi.Output<string>;
  /** False when the stack uses an existing bucket it does not manage. */
  managed: boolean;
  prefix: string;
  kmsKeyArn: pulumi.Output<string>;
  kmsAlias: pulumi.Output<string>;
  roleArn: pulumi.Output<string>;
  /** The exact `sub` claims the role trusts: one repository and environment. */
  oidcSubjects: string[];
  githubOidcProviderArn: pulumi.Output<string>;
  /** The read-only role pull-request previews assume (policy-review workflow). */
  previewRoleArn: pulumi.Output<string>;
  /** The exact `sub` claim the preview role trusts: pull requests of one repository. */
  previewOidcSubject: string;
  /** The stack's AWS region, for the workflows that assume these roles. */
  region: string;
}

export function deployBackupStorage(
  config: LoadedStackConfig,
  { plan, aws }: BackupStorageDeps,
): BackupStorageOutputs | undefined {
  const storage = plan.backup;
  if (!storage || !aws) return undefined;
  const context: TagContext = { project: config.project, stack: config.stack, owner: config.owner };
  const resourceOpts = { providers: [aws.regional] };
  const bucket = new BackupBucket(
    "backup",
    {
      context,
      bucket:
        storage.mode === "create"
          ? { mode: "create" }
          : { mode: "existing", name: storage.existingBucketName! },
      accountId: aws.accountId,
      partition: aws.partition,
      lifecycleRules: storage.lifecycleRules,
      objectLock: storage.objectLock,
    },
    resourceOpts,
  );
  const role = new GithubOidcRole(
    "backup-oidc",
    {
      context,
      oidcProvider: config.aws?.githubOidcProvider ?? "create",
      accountId: aws.accountId,
      partition: aws.partition,
      region: aws.region,
      subject: storage.oidc,
      bucketArn: bucket.bucketArn,
      prefix: storage.prefix,
      kmsKeyArn: bucket.kmsKeyArn,
      metricNamespace: BACKUP_METRIC.namespace,
    },
    resourceOpts,
  );
  const preview = new GithubPreviewRole(
    "preview-oidc",
    {
      context,
      oidcProviderArn: role.oidcProviderArn,
      repository:
        config.aws?.previewRepository ?? `${storage.oidc.owner}/${storage.oidc.repository}`,
    },
    resourceOpts,
  );
  return {
    bucketName: bucket.bucketName,
    bucketArn: bucket.bucketArn,
    managed: bucket.managed,
    prefix: storage.prefix,
    kmsKeyArn: bucket.kmsKeyArn,
    kmsAlias: bucket.kmsAliasName,
    roleArn: role.roleArn,
    oidcSubjects: role.subjects,
    githubOidcProviderArn: role.oidcProviderArn,
    previewRoleArn: preview.roleArn,
    previewOidcSubject: preview.subject,
    region: aws.region,
  };
}
