/**
 * The backup storage's policy documents as plain JSON: every security property of the
 * bucket and the OIDC trust is checked on the document IAM or S3 would receive.
 */
import { describe, expect, it } from "vitest";
import {
  backupAccessPolicy,
  backupBucketPolicy,
  githubOidcSubjects,
  githubTrustPolicy,
} from "../../../infra/backup-storage/iam";
import { policyJson, type PolicyDocument, type PolicyStatement } from "../../../infra/lib/aws-iam";

const BUCKET = "arn:aws:s3:::runbooks-production-backups-123456789012";
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/1111-2222";

/** Round-trip through JSON, as the provider receives it. */
function parsed(doc: PolicyDocument): PolicyDocument {
  return JSON.parse(policyJson(doc)) as PolicyDocument;
}

function statement(doc: PolicyDocument, sid: string): PolicyStatement {
  const found = doc.Statement.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid}`);
  return found;
}

describe("backup bucket policy", () => {
  const doc = parsed(backupBucketPolicy({ bucketArn: BUCKET, kmsKeyArn: KEY }));

  it("denies every request without TLS, on the bucket and its objects", () => {
    const tls = statement(doc, "DenyInsecureTransport");
    expect(tls).toMatchObject({ Effect: "Deny", Principal: "*", Action: "s3:*" });
    expect(tls.Resource).toEqual([BUCKET, `${BUCKET}/*`]);
    expect(tls.Condition).toEqual({ Bool: { "aws:SecureTransport": "false" } });
  });

  it("denies uploads that ask for an encryption other than KMS", () => {
    const s = statement(doc, "DenyUploadsNotEncryptedWithKms");
    expect(s).toMatchObject({
      Effect: "Deny",
      Principal: "*",
      Action: "s3:PutObject",
      Resource: `${BUCKET}/*`,
    });
    expect(s.Condition).toEqual({
      Null: { "s3:x-amz-server-side-encryption": "false" },
      StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
    });
  });

  it("denies uploads that name another KMS key, and customer-provided keys", () => {
    const other = statement(doc, "DenyUploadsWithAnotherKmsKey");
    expect(other.Effect).toBe("Deny");
    expect(other.Condition?.StringNotEquals).toEqual({
      "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY,
    });
    const ssec = statement(doc, "DenyCustomerProvidedKeys");
    expect(ssec.Condition).toEqual({
      Null: { "s3:x-amz-server-side-encryption-customer-algorithm": "false" },
    });
  });

  it("grants nothing: every statement is a Deny", () => {
    expect(doc.Statement.map((s) => s.Effect)).toEqual(["Deny", "Deny", "Deny", "Deny"]);
  });
});

describe("GitHub OIDC trust", () => {
  it("names the exact environment subject when an environment is given", () => {
    expect(
      githubOidcSubjects({
        owner: "acme",
        repository: "acme-app",
        branch: "main",
        environment: "production",
      }),
    ).toEqual(["repo:acme/acme-app:environment:production"]);
  });

  it("names the exact branch subject otherwise", () => {
    expect(githubOidcSubjects({ owner: "acme", repository: "acme-app", branch: "main" })).toEqual([
      "repo:acme/acme-app:ref:refs/heads/main",
    ]);
  });

  it.each([
    ["owner", { owner: "*", repository: "acme-app", branch: "main" }],
    ["repository", { owner: "acme", repository: "acme-*", branch: "main" }],
    ["branch", { owner: "acme", repository: "acme-app", branch: "release/?" }],
    [
      "environment",
      { owner: "acme", repository: "acme-app", branch: "main", environment: "prod:x" },
    ],
    ["branch", { owner: "acme", repository: "acme-app", branch: " " }],
  ])("refuses a wildcard or separator in %s", (field, args) => {
    expect(() => githubOidcSubjects(args)).toThrow(new RegExp(`field '${field}' must be an exact`));
  });

  it("allows only the STS audience and the exact subject, through the GitHub provider", () => {
    const providerArn =
      "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
    const doc = parsed(
      githubTrustPolicy({ providerArn, subjects: ["repo:acme/acme-app:environment:production"] }),
    );
    expect(doc.Statement).toHaveLength(1);
    const s = doc.Statement[0]!;
    expect(s).toMatchObject({
      Effect: "Allow",
      Principal: { Federated: providerArn },
      Action: "sts:AssumeRoleWithWebIdentity",
    });
    expect(s.Condition).toEqual({
      StringEquals: {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:acme/acme-app:environment:production",
      },
    });
    expect(JSON.stringify(doc)).not.toMatch(/StringLike|\*/);
  });

  it("refuses a trust policy without subjects", () => {
    expect(() => githubTrustPolicy({ providerArn: "arn", subjects: [] })).toThrow(
      /at least one subject/,
    );
  });
});

describe("backup access policy (least privilege)", () => {
  const doc = parsed(
    backupAccessPolicy({
      bucketArn: BUCKET,
      prefix: "postgres/production/",
      kmsKeyArn: KEY,
      region: "eu-west-1",
      metricNamespace: "Runbooks/Backups",
    }),
  );

  it("reads and writes objects only under the prefix, and never deletes", () => {
    const rw = statement(doc, "ReadWriteDumpsUnderPrefix");
    expect(rw.Resource).toBe(`${BUCKET}/postgres/production/*`);
    const actions = doc.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(
      actions.filter((a) =>
        /Delete|s3:\*|kms:\*|PutBucket|PutObjectAcl|Retention|LegalHold/.test(a),
      ),
    ).toEqual([]);
  });

  it("lists only the prefix", () => {
    const list = statement(doc, "ListOnlyThePrefix");
    expect(list.Resource).toBe(BUCKET);
    expect(list.Condition).toEqual({
      StringLike: { "s3:prefix": ["postgres/production/", "postgres/production/*"] },
    });
  });

  it("uses only the backup key, only through S3 in the stack's region", () => {
    const kms = statement(doc, "UseTheBackupKeyThroughS3");
    expect(kms.Resource).toBe(KEY);
    expect(kms.Action).toEqual(["kms:GenerateDataKey", "kms:Decrypt"]);
    expect(kms.Condition).toEqual({
      StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
    });
  });

  it("publishes metrics only in the backup namespace", () => {
    const metric = statement(doc, "PublishBackupMetric");
    expect(metric.Action).toBe("cloudwatch:PutMetricData");
    expect(metric.Condition).toEqual({
      StringEquals: { "cloudwatch:namespace": "Runbooks/Backups" },
    });
  });
});
