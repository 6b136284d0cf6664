/**
 * The S3 bucket database dumps go to, and the customer-managed KMS key that
 * encrypts them.
 *
 * Like awsx's bucket helper, the bucket can be created here or an existing one
 * used. An existing bucket is only referenced: its settings (policy,
 * lifecycle, encryption) belong to whoever created it and are never
 * overwritten. Either way this program creates the KMS key, and the backup job
 * names that key explicitly on every upload.
 *
 * Nothing is lost on `pulumi destroy`: the bucket and the key are retained
 * (a destroyed key would make every dump unreadable), and the bucket is never
 * force-emptied.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { backupBucketName, backupKeyAlias } from "../lib/naming";
import { tags, type TagContext } from "../lib/tags";
import type { LifecycleRule } from "./plan";
import { bucketArn, policyJson } from "../lib/aws-iam";
import { backupBucketPolicy } from "./iam";

export interface BackupBucketArgs {
  /** Project, stack and owner: the source of every physical name and tag. */
  context: TagContext;
  /** `create` a new bucket, or use the `existing` one with this name. */
  bucket: { mode: "create" } | { mode: "existing"; name: string };
  /** The AWS account that owns the bucket; part of a created bucket's globally unique name. */
  accountId: pulumi.Input<string>;
  /** ARN partition of the stack's region (`aws`, `aws-us-gov`, `aws-cn`). */
  partition: string;
  /** Lifecycle rules for a created bucket (see `lifecycleRules`). */
  lifecycleRules: LifecycleRule[];
  /** Make dumps immutable for this long after upload (created buckets only). */
  objectLock?: { mode: "GOVERNANCE" | "COMPLIANCE"; days: number };
}

export class BackupBucket extends pulumi.ComponentResource {
  /** The bucket's name. */
  readonly bucketName: pulumi.Output<string>;
  /** The bucket's ARN. */
  readonly bucketArn: pulumi.Output<string>;
  /** ARN of the customer-managed key every dump is encrypted with. */
  readonly kmsKeyArn: pulumi.Output<string>;
  /** The key's alias, e.g. `alias/runbooks-production-backups`. */
  readonly kmsAliasName: pulumi.Output<string>;
  /** Whether this program manages the bucket's settings (`create`) or only refers to it. */
  readonly managed: boolean;

  private readonly args: BackupBucketArgs;

  constructor(name: string, args: BackupBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("runbooks:aws:BackupBucket", name, {}, opts);
    this.args = args;
    this.managed = args.bucket.mode === "create";

    const key = this.createKey(name);
    const alias = this.createKeyAlias(name, key);
    this.kmsKeyArn = key.arn;
    this.kmsAliasName = alias.name;

    if (args.bucket.mode === "create") {
      const bucket = this.createBucket(name);
      const versioning = this.enableVersioning(name, bucket);
      this.encryptWithKey(name, bucket, key);
      const publicAccessBlock = this.blockPublicAccess(name, bucket);
      this.enforceBucketOwnership(name, bucket);
      this.attachBucketPolicy(name, bucket, key, publicAccessBlock);
      this.applyLifecycle(name, bucket, versioning);
      if (args.objectLock) this.applyObjectLock(name, bucket, versioning, args.objectLock);
      this.bucketName = bucket.bucket;
      this.bucketArn = bucket.arn;
    } else {
      this.bucketName = pulumi.output(args.bucket.name);
      this.bucketArn = pulumi.output(bucketArn(args.partition, args.bucket.name));
    }

    this.registerOutputs({
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      kmsKeyArn: this.kmsKeyArn,
      kmsAliasName: this.kmsAliasName,
    });
  }

  private createKey(name: string): aws.kms.Key {
    return new aws.kms.Key(
      `${name}-key`,
      {
        description: `Encrypts ${this.args.context.project}/${this.args.context.stack} database backups`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        tags: tags(this.args.context, { purpose: "backups" }),
      },
      // Deleting the key would make every existing dump unreadable.
      { parent: this, retainOnDelete: true },
    );
  }

  private createKeyAlias(name: string, key: aws.kms.Key): aws.kms.Alias {
    return new aws.kms.Alias(
      `${name}-key-alias`,
      { name: backupKeyAlias(this.args.context), targetKeyId: key.keyId },
      { parent: this },
    );
  }

  private createBucket(name: string): aws.s3.Bucket {
    const context = this.args.context;
    return new aws.s3.Bucket(
      `${name}-bucket`,
      {
        bucket: pulumi
          .output(this.args.accountId)
          .apply((accountId) => backupBucketName(context, accountId)),
        // Object Lock can only be switched on when a bucket is created.
        objectLockEnabled: this.args.objectLock !== undefined,
        forceDestroy: false,
        tags: tags(context, { purpose: "backups" }),
      },
      { parent: this, retainOnDelete: true },
    );
  }

  private enableVersioning(name: string, bucket: aws.s3.Bucket): aws.s3.BucketVersioning {
    return new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      { parent: this },
    );
  }

  private encryptWithKey(name: string, bucket: aws.s3.Bucket, key: aws.kms.Key): void {
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucket.id,
        rules: [
          {
            applyServerSideEncryptionByDefault: {
              sseAlgorithm: "aws:kms",
              kmsMasterKeyId: key.arn,
            },
            // One data key per bucket rather than per object: fewer KMS calls, same key.
            bucketKeyEnabled: true,
          },
        ],
      },
      { parent: this },
    );
  }

  private blockPublicAccess(name: string, bucket: aws.s3.Bucket): aws.s3.BucketPublicAccessBlock {
    return new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access-block`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      { parent: this },
    );
  }

  private enforceBucketOwnership(name: string, bucket: aws.s3.Bucket): void {
    // Disables ACLs entirely: access is decided by policies only.
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      { parent: this },
    );
  }

  private attachBucketPolicy(
    name: string,
    bucket: aws.s3.Bucket,
    key: aws.kms.Key,
    publicAccessBlock: aws.s3.BucketPublicAccessBlock,
  ): void {
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket: bucket.id,
        policy: pulumi
          .all([bucket.arn, key.arn])
          .apply(([arn, keyArn]) =>
            policyJson(backupBucketPolicy({ bucketArn: arn, kmsKeyArn: keyArn })),
          ),
      },
      // S3 rejects concurrent bucket-configuration calls; order them.
      { parent: this, dependsOn: [publicAccessBlock] },
    );
  }

  private applyLifecycle(
    name: string,
    bucket: aws.s3.Bucket,
    versioning: aws.s3.BucketVersioning,
  ): void {
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      { bucket: bucket.id, rules: this.args.lifecycleRules },
      // Noncurrent-version rules only make sense once versioning is on.
      { parent: this, dependsOn: [versioning] },
    );
  }

  private applyObjectLock(
    name: string,
    bucket: aws.s3.Bucket,
    versioning: aws.s3.BucketVersioning,
    lock: { mode: "GOVERNANCE" | "COMPLIANCE"; days: number },
  ): void {
    new aws.s3.BucketObjectLockConfiguration(
      `${name}-object-lock`,
      {
        bucket: bucket.id,
        objectLockEnabled: "Enabled",
        rule: { defaultRetention: { mode: lock.mode, days: lock.days } },
      },
      { parent: this, dependsOn: [versioning] },
    );
  }
}
