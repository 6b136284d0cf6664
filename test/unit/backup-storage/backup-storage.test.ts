/**
 * The backup bucket and the GitHub OIDC role, component by component, with
 * every security property checked on the recorded inputs.
 */
import * as aws from "@pulumi/aws";
import { beforeEach, describe, expect, it } from "vitest";
import { BackupBucket } from "../../../infra/backup-storage/backup-bucket";
import { lifecycleRules } from "../../../infra/backup-storage/plan";
import { GithubOidcRole } from "../../../infra/backup-storage/github-oidc-role";
import type { PolicyDocument } from "../../../infra/lib/aws-iam";
import {
  ACCOUNT_ID,
  installMocks,
  optionRecorder,
  resolve,
  settle,
  unwrap,
} from "../../support/mocks/mocks";

const recorder = installMocks({ stack: "production" });
const context = { project: "runbooks", stack: "production", owner: "platform-team" };
const rules = lifecycleRules({
  prefix: "postgres/production/",
  archiveAfterDays: 30,
  retentionDays: 400,
  noncurrentVersionDays: 30,
  abortIncompleteMultipartDays: 2,
});
let counter = 0;

beforeEach(() => recorder.reset());

function policyOf(value: unknown): PolicyDocument {
  return JSON.parse(String(unwrap(value))) as PolicyDocument;
}

async function createBucket(args: Partial<ConstructorParameters<typeof BackupBucket>[1]> = {}) {
  const options = optionRecorder();
  const name = `backup${++counter}`;
  const provider = new aws.Provider(`aws-eu-west-1-${counter}`, { region: "eu-west-1" });
  const bucket = new BackupBucket(
    name,
    {
      context,
      bucket: { mode: "create" },
      accountId: ACCOUNT_ID,
      partition: "aws",
      lifecycleRules: rules,
      ...args,
    },
    { providers: [provider], transformations: [options.transformation] },
  );
  await settle();
  return { name, bucket, options: options.options };
}

describe("BackupBucket (create)", () => {
  it("encrypts by default with its own customer-managed key, with key rotation on", async () => {
    const { name } = await createBucket();
    const key = recorder.one("aws:kms/key:Key");
    expect(key.inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
    const sse = recorder.one(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    );
    expect(sse.inputs.bucket).toBe(`${name}-bucket-id`);
    expect(sse.inputs.rules).toEqual([
      {
        applyServerSideEncryptionByDefault: {
          sseAlgorithm: "aws:kms",
          kmsMasterKeyId: key.state.arn,
        },
        bucketKeyEnabled: true,
      },
    ]);
    expect(recorder.one("aws:kms/alias:Alias").inputs).toEqual({
      name: "alias/runbooks-production-backups",
      targetKeyId: key.state.keyId,
    });
  });

  it("turns versioning on and blocks all public access with all four flags", async () => {
    await createBucket();
    expect(
      recorder.one("aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration,
    ).toEqual({ status: "Enabled" });
    const pab = recorder.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
    expect([
      pab.blockPublicAcls,
      pab.blockPublicPolicy,
      pab.ignorePublicAcls,
      pab.restrictPublicBuckets,
    ]).toEqual([true, true, true, true]);
    expect(
      recorder.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule,
    ).toEqual({ objectOwnership: "BucketOwnerEnforced" });
  });

  it("attaches a policy denying non-TLS requests and uploads not encrypted with this key", async () => {
    const { bucket } = await createBucket();
    const doc = policyOf(recorder.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
    const arn = await resolve(bucket.bucketArn);
    const keyArn = await resolve(bucket.kmsKeyArn);
    const tls = doc.Statement.find((s) => s.Condition?.Bool?.["aws:SecureTransport"] === "false")!;
    expect(tls).toMatchObject({
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [arn, `${arn}/*`],
    });
    const wrongAlgorithm = doc.Statement.find(
      (s) => s.Condition?.StringNotEquals?.["s3:x-amz-server-side-encryption"] === "aws:kms",
    )!;
    expect(wrongAlgorithm).toMatchObject({ Effect: "Deny", Action: "s3:PutObject" });
    const wrongKey = doc.Statement.find(
      (s) =>
        s.Condition?.StringNotEquals?.["s3:x-amz-server-side-encryption-aws-kms-key-id"] !==
        undefined,
    )!;
    expect(
      wrongKey.Condition?.StringNotEquals?.["s3:x-amz-server-side-encryption-aws-kms-key-id"],
    ).toBe(keyArn);
  });

  it("applies the lifecycle rules: archive, expire, noncurrent versions, incomplete uploads", async () => {
    await createBucket();
    expect(
      recorder.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules,
    ).toEqual(rules);
  });

  it("names the bucket from project, stack and account, and never force-destroys it", async () => {
    const { bucket } = await createBucket();
    const b = recorder.one("aws:s3/bucket:Bucket");
    expect(b.inputs).toMatchObject({
      bucket: `runbooks-production-backups-${ACCOUNT_ID}`,
      forceDestroy: false,
      objectLockEnabled: false,
    });
    expect(await resolve(bucket.bucketName)).toBe(`runbooks-production-backups-${ACCOUNT_ID}`);
  });

  it("keeps the bucket and the key when the stack is destroyed", async () => {
    const { name, options } = await createBucket();
    expect(options.get(`${name}-bucket`)?.retainOnDelete).toBe(true);
    expect(options.get(`${name}-key`)?.retainOnDelete).toBe(true);
    expect(options.get(`${name}-policy`)?.retainOnDelete).toBeUndefined();
  });

  it("switches Object Lock on at creation and sets the default retention", async () => {
    await createBucket({ objectLock: { mode: "COMPLIANCE", days: 14 } });
    expect(recorder.one("aws:s3/bucket:Bucket").inputs.objectLockEnabled).toBe(true);
    expect(
      recorder.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").inputs,
    ).toMatchObject({
      objectLockEnabled: "Enabled",
      rule: { defaultRetention: { mode: "COMPLIANCE", days: 14 } },
    });
  });
});

describe("BackupBucket (existing)", () => {
  it("only refers to the bucket and never changes its settings, but still creates the key", async () => {
    const { bucket } = await createBucket({
      bucket: { mode: "existing", name: "acme-shared-backups" },
    });
    expect(recorder.resources.filter((r) => r.type.startsWith("aws:s3/"))).toEqual([]);
    expect(recorder.ofType("aws:kms/key:Key")).toHaveLength(1);
    expect(await resolve(bucket.bucketName)).toBe("acme-shared-backups");
    expect(await resolve(bucket.bucketArn)).toBe("arn:aws:s3:::acme-shared-backups");
    expect(bucket.managed).toBe(false);
  });
});

describe("GithubOidcRole", () => {
  async function createRole(oidcProvider: "create" | "existing", environment?: string) {
    const name = `oidc${++counter}`;
    const role = new GithubOidcRole(name, {
      context,
      oidcProvider,
      accountId: ACCOUNT_ID,
      partition: "aws",
      region: "eu-west-1",
      subject: { owner: "acme", repository: "acme-app", branch: "main", environment },
      bucketArn: "arn:aws:s3:::runbooks-production-backups-123456789012",
      prefix: "postgres/production/",
      kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
      metricNamespace: "Runbooks/Backups",
    });
    await settle();
    return { name, role };
  }

  it("creates the GitHub OIDC provider for the STS audience, without a thumbprint", async () => {
    await createRole("create", "production");
    const provider = recorder.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider");
    expect(provider.inputs).toMatchObject({
      url: "https://token.actions.githubusercontent.com",
      clientIdLists: ["sts.amazonaws.com"],
    });
    expect(provider.inputs.thumbprintLists).toBeUndefined();
  });

  it("trusts exactly the repository's environment, with the STS audience, and no wildcard", async () => {
    const { role } = await createRole("create", "production");
    const trust = policyOf(recorder.one("aws:iam/role:Role").inputs.assumeRolePolicy);
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0]!.Condition).toEqual({
      StringEquals: {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:acme/acme-app:environment:production",
      },
    });
    expect(trust.Statement[0]!.Principal).toEqual({
      Federated: await resolve(role.oidcProviderArn),
    });
    expect(JSON.stringify(trust)).not.toContain("*");
  });

  it("trusts exactly the branch when no environment is given", async () => {
    await createRole("create");
    const trust = policyOf(recorder.one("aws:iam/role:Role").inputs.assumeRolePolicy);
    expect(
      trust.Statement[0]!.Condition?.StringEquals?.["token.actions.githubusercontent.com:sub"],
    ).toBe("repo:acme/acme-app:ref:refs/heads/main");
  });

  it("uses the account's existing provider instead of creating a second one", async () => {
    const { role } = await createRole("existing", "production");
    expect(recorder.ofType("aws:iam/openIdConnectProvider:OpenIdConnectProvider")).toHaveLength(0);
    expect(await resolve(role.oidcProviderArn)).toBe(
      `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com`,
    );
  });

  it("grants access to the prefix and the key only, and holds no long-lived credential", async () => {
    await createRole("create", "production");
    const access = policyOf(recorder.one("aws:iam/rolePolicy:RolePolicy").inputs.policy);
    const resources = access.Statement.flatMap((s) =>
      Array.isArray(s.Resource) ? s.Resource : [s.Resource],
    );
    expect(resources).toEqual([
      "arn:aws:s3:::runbooks-production-backups-123456789012/postgres/production/*",
      "arn:aws:s3:::runbooks-production-backups-123456789012",
      // ListBucketMultipartUploads, so a backup can abort a killed run's uploads.
      "arn:aws:s3:::runbooks-production-backups-123456789012",
      "arn:aws:kms:eu-west-1:123456789012:key/k",
      "*",
    ]);
    expect(recorder.resources.filter((r) => /accessKey|AccessKey|iam\/user:/.test(r.type))).toEqual(
      [],
    );
    expect(recorder.one("aws:iam/role:Role").inputs.maxSessionDuration).toBe(4 * 3600);
  });
});
