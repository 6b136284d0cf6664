/**
 * The pure checks the policies share, on the documents infra/ really writes:
 * a cron's longest gap, wildcard grants, TLS-only bucket policies and the
 * GitHub OIDC trust.
 */
import { describe, expect, it } from "vitest";
import {
  backupAccessPolicy,
  backupBucketPolicy,
  githubPullRequestSubject,
  githubTrustPolicy,
  previewReadPolicy,
} from "../../../infra/backup-storage/iam";
import {
  deniesInsecureTransport,
  githubTrustProblems,
  parseDocument,
  wildcardGrants,
} from "../../../policies/lib/iam-documents";
import { stackOfUrn } from "../../../policies/lib/policy";
import { longestGapHours } from "../../../policies/lib/schedule";

const BUCKET = "arn:aws:s3:::runbooks-production-backups";
const PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";

describe("longestGapHours", () => {
  it.each([
    ["17 3 * * *", 24],
    ["17 */6 * * *", 6],
    ["0 0,12 * * *", 12],
    ["0 3 * * 1-5", 72],
    ["0 3 * * mon-fri", 72],
    ["0 3 * * 0-7", 24],
    ["0 3 */2 * *", 48],
    ["0 3 1 * *", 744],
  ])("%s leaves at most %d hours between runs", (cron, hours) => {
    expect(longestGapHours(cron)).toBe(hours);
  });

  it("counts months a schedule skips, and a date that never comes", () => {
    expect(longestGapHours("0 3 * 1-6 *")).toBeGreaterThan(24 * 180);
    expect(longestGapHours("0 3 30 2 *")).toBe(Infinity);
  });

  it("refuses what it cannot read, naming the field", () => {
    expect(() => longestGapHours("@daily")).toThrow(/not a 5-field cron/);
    expect(() => longestGapHours("61 3 * * *")).toThrow(/'61' is not a valid minute/);
    expect(() => longestGapHours("0 3 L * *")).toThrow(/not a valid day of month/);
  });
});

describe("IAM documents", () => {
  const access = backupAccessPolicy({
    bucketArn: BUCKET,
    prefix: "postgres/production/",
    kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
    region: "eu-west-1",
    metricNamespace: "Runbooks/Backups",
  });

  it("find no wildcard in the backup access policy beyond the conditioned metric statement", () => {
    expect(wildcardGrants(access, ["cloudwatch:PutMetricData"])).toEqual([]);
    expect(wildcardGrants(access, [])).toEqual([
      "statement 'PublishBackupMetric' allows cloudwatch:PutMetricData on every resource ('*')",
    ]);
  });

  it("find '*' actions, NotAction and unconditioned exempt actions", () => {
    const doc = parseDocument(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "*", Resource: BUCKET },
          { Effect: "Allow", NotAction: "iam:*", Resource: BUCKET },
          { Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*" },
          { Effect: "Deny", Action: "*", Resource: "*" },
        ],
      }),
    )!;
    expect(wildcardGrants(doc, ["cloudwatch:PutMetricData"])).toEqual([
      "statement 1 allows every action of *",
      "statement 2 uses NotAction (allows everything else)",
      "statement 3 allows cloudwatch:PutMetricData on every resource ('*')",
    ]);
  });

  it("see the backup bucket policy as TLS-only, and not once its TLS statement is gone", () => {
    const policy = backupBucketPolicy({ bucketArn: BUCKET, kmsKeyArn: "k" });
    expect(deniesInsecureTransport(policy, BUCKET)).toBe(true);
    expect(deniesInsecureTransport(policy)).toBe(true);
    const rest = {
      ...policy,
      Statement: policy.Statement.filter((s) => s.Sid !== "DenyInsecureTransport"),
    };
    expect(deniesInsecureTransport(rest, BUCKET)).toBe(false);
    expect(deniesInsecureTransport(policy, "arn:aws:s3:::another-bucket")).toBe(false);
  });

  it("accept the trust policies infra/ writes, and reject wildcards and missing conditions", () => {
    const backup = githubTrustPolicy({
      providerArn: PROVIDER,
      subjects: ["repo:acme/app:environment:production"],
    });
    const preview = githubTrustPolicy({
      providerArn: PROVIDER,
      subjects: [githubPullRequestSubject("acme/app")],
    });
    expect(githubTrustProblems(backup, ["environment"])).toEqual([]);
    expect(githubTrustProblems(preview, ["environment", "pull_request"])).toEqual([]);
    expect(githubTrustProblems(preview, ["environment"])).toHaveLength(1);
    const wildcard = githubTrustPolicy({ providerArn: PROVIDER, subjects: ["repo:acme/*"] });
    expect(githubTrustProblems(wildcard, ["environment"]).join()).toContain(
      "not one exact repository",
    );
    const noAudience = structuredClone(backup);
    delete noAudience.Statement[0]!.Condition!.StringEquals![
      "token.actions.githubusercontent.com:aud"
    ];
    expect(githubTrustProblems(noAudience, ["environment"])).toEqual([
      "statement 'GithubActionsOidc' does not require the audience sts.amazonaws.com",
    ]);
  });

  it("ignore trust statements that do not involve GitHub", () => {
    const doc = parseDocument({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "chatbot.amazonaws.com" },
          Action: "sts:AssumeRole",
        },
      ],
    })!;
    expect(githubTrustProblems(doc, ["environment"])).toEqual([]);
  });

  it("keep the preview role read-only: no write action, object reads denied", () => {
    const doc = previewReadPolicy();
    const allowed = doc.Statement.filter((s) => s.Effect === "Allow").flatMap((s) =>
      [s.Action].flat(),
    );
    for (const action of allowed)
      expect(action).toMatch(/^[a-z0-9]+:(Get|List|Describe|View)[A-Za-z*]*$/);
    const denied = doc.Statement.filter((s) => s.Effect === "Deny").flatMap((s) =>
      [s.Action].flat(),
    );
    expect(denied).toEqual(expect.arrayContaining(["s3:GetObject", "kms:Decrypt"]));
    expect(() => githubPullRequestSubject("acme/*")).toThrow(/without '\*'/);
  });

  it("reads the stack out of a URN", () => {
    expect(stackOfUrn("urn:pulumi:production::runbooks::aws:s3/bucket:Bucket::b")).toBe(
      "production",
    );
  });
});
