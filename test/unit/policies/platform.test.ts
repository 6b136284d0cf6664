/**
 * The platform policies against the production stack's real resource graph
 * (recorded under mocks, as `policy:review` does): the baseline is compliant,
 * and each test makes one change that must produce the named violation.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { disallowForceDestroyInProduction } from "../../../policies/backup-bucket/disallow-force-destroy-in-production";
import { disallowPublicBackupBucketAccess } from "../../../policies/backup-bucket/disallow-public-backup-bucket-access";
import { enforceBackupRetention } from "../../../policies/backup-bucket/enforce-backup-retention";
import { requireBackupBucketKmsEncryption } from "../../../policies/backup-bucket/require-backup-bucket-kms-encryption";
import { requireBackupBucketVersioning } from "../../../policies/backup-bucket/require-backup-bucket-versioning";
import { requireTlsOnlyBackupBucketPolicy } from "../../../policies/backup-bucket/require-tls-only-backup-bucket-policy";
import { disallowSecretsInActionsVariables } from "../../../policies/github/disallow-secrets-in-actions-variables";
import { requireGithubSecretsFromPulumiSecrets } from "../../../policies/github/require-github-secrets-from-pulumi-secrets";
import { disallowWildcardBackupRolePermissions } from "../../../policies/iam/disallow-wildcard-backup-role-permissions";
import { enforceExactGithubOidcTrust } from "../../../policies/iam/enforce-exact-github-oidc-trust";
import { POLICIES } from "../../../policies/policies";
import type { ReviewResource } from "../../../policies/review/evaluate";
import { reviewStack } from "../../../policies/review/review";
import { requireBackupFreshnessAlarm } from "../../../policies/stack/require-backup-freshness-alarm";
import { requireBudgetNotifications } from "../../../policies/stack/require-budget-notifications";
import { requireFrequentHealthCheck } from "../../../policies/stack/require-frequent-health-check";
import { requireSeverityTopicSubscribers } from "../../../policies/stack/require-severity-topic-subscribers";
import { disallowProductionSecretsInPreview } from "../../../policies/vercel/disallow-production-secrets-in-preview";
import { requireSensitiveSecretEnvVars } from "../../../policies/vercel/require-sensitive-secret-env-vars";
import {
  assertHasViolation,
  assertNoViolations,
  named,
  violationsOf,
  withChange,
  without,
} from "../../support/policies";

let baseline: ReviewResource[];

const T = {
  bucket: "aws:s3/bucket:Bucket",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  encryption:
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  envVar: "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable",
  ghVar: "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
  ghSecret: "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  healthCheck: "aws:route53/healthCheck:HealthCheck",
  topic: "aws:sns/topic:Topic",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  budget: "aws:budgets/budget:Budget",
} as const;

/** Apply `change` to a resource's inputs and outputs alike (both views of one declaration). */
function edit(type: string, name: string, change: (props: Record<string, unknown>) => void) {
  return withChange(baseline, named(type, name), (r) => {
    change(r.inputs);
    change(r.outputs);
  });
}

function editDocument(
  type: string,
  name: string,
  prop: string,
  change: (doc: { Statement: Record<string, unknown>[] }) => void,
) {
  return edit(type, name, (props) => {
    const doc = JSON.parse(String(props[prop])) as { Statement: Record<string, unknown>[] };
    change(doc);
    props[prop] = JSON.stringify(doc);
  });
}

beforeAll(async () => {
  ({ resources: baseline } = await reviewStack({
    stack: "production",
  }));
});

describe("the production baseline", () => {
  it("passes every mandatory policy", async () => {
    for (const policy of POLICIES.filter((p) => p.enforcementLevel === "mandatory"))
      await assertNoViolations(policy, baseline);
  });
});

describe("backup bucket", () => {
  it("require-backup-bucket-versioning: suspended or missing versioning", async () => {
    await assertHasViolation(
      requireBackupBucketVersioning,
      edit(
        T.versioning,
        "backup-versioning",
        (p) => (p.versioningConfiguration = { status: "Suspended" }),
      ),
      "has versioning Suspended, not Enabled",
    );
    await assertHasViolation(
      requireBackupBucketVersioning,
      without(baseline, named(T.versioning, "backup-versioning")),
      "has no versioning configuration",
    );
  });

  it("require-backup-bucket-kms-encryption: SSE-S3 instead of a KMS key", async () => {
    await assertHasViolation(
      requireBackupBucketKmsEncryption,
      edit(T.encryption, "backup-encryption", (p) => {
        p.rules = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }];
      }),
      "not encrypted by default with a customer-managed KMS key",
    );
  });

  it("require-backup-bucket-kms-encryption: a configuration for another bucket does not count", async () => {
    await assertHasViolation(
      requireBackupBucketKmsEncryption,
      edit(T.encryption, "backup-encryption", (p) => (p.bucket = "someone-elses-bucket")),
      "has no default encryption configuration",
    );
  });

  it("disallow-public-backup-bucket-access: one setting off", async () => {
    const v = await assertHasViolation(
      disallowPublicBackupBucketAccess,
      edit(T.pab, "backup-public-access-block", (p) => (p.restrictPublicBuckets = false)),
      "not true: restrictPublicBuckets",
    );
    expect(v.resource?.name).toBe("backup-bucket");
  });

  it("require-tls-only-backup-bucket-policy: the TLS statement removed", async () => {
    await assertHasViolation(
      requireTlsOnlyBackupBucketPolicy,
      editDocument(T.bucketPolicy, "backup-policy", "policy", (doc) => {
        doc.Statement = doc.Statement.filter((s) => s.Sid !== "DenyInsecureTransport");
      }),
      "does not deny requests made without TLS",
    );
    await assertHasViolation(
      requireTlsOnlyBackupBucketPolicy,
      without(baseline, named(T.bucketPolicy, "backup-policy")),
      "has no bucket policy",
    );
  });

  it("require-tls-only-backup-bucket-policy: a TLS deny on the objects only is not enough", async () => {
    await assertHasViolation(
      requireTlsOnlyBackupBucketPolicy,
      editDocument(T.bucketPolicy, "backup-policy", "policy", (doc) => {
        const tls = doc.Statement.find((s) => s.Sid === "DenyInsecureTransport")!;
        tls.Resource = (tls.Resource as string[]).filter((r) => r.endsWith("/*"));
      }),
      "does not deny requests made without TLS",
    );
  });

  it("enforce-backup-retention: dumps expiring too early, with the team's minimum", async () => {
    const changed = edit(T.lifecycle, "backup-lifecycle", (p) => {
      (p.rules as { expiration?: { days?: number } }[])[0]!.expiration = { days: 6 };
    });
    await assertHasViolation(
      enforceBackupRetention,
      changed,
      "expires dumps after 6 days, under the minimum of 7",
    );
    await assertNoViolations(enforceBackupRetention, changed, { minRetentionDays: 6 });
    await assertHasViolation(enforceBackupRetention, baseline, "under the minimum of 500", {
      minRetentionDays: 500,
    });
  });

  it("disallow-force-destroy-in-production: only in production stacks", async () => {
    const changed = edit(T.bucket, "backup-bucket", (p) => (p.forceDestroy = true));
    await assertHasViolation(
      disallowForceDestroyInProduction,
      changed,
      "sets forceDestroy in production stack 'production'",
    );
    await assertNoViolations(disallowForceDestroyInProduction, changed, {
      productionStacks: ["prod"],
    });
  });
});

describe("IAM", () => {
  it("disallow-wildcard-backup-role-permissions: s3:* on the backup role", async () => {
    await assertHasViolation(
      disallowWildcardBackupRolePermissions,
      editDocument(T.rolePolicy, "backup-oidc-access", "policy", (doc) => {
        doc.Statement[0]!.Action = "s3:*";
      }),
      "allows every action of s3:*",
    );
  });

  it("disallow-wildcard-backup-role-permissions: Resource '*' without the metric exemption", async () => {
    await assertHasViolation(
      disallowWildcardBackupRolePermissions,
      editDocument(T.rolePolicy, "backup-oidc-access", "policy", (doc) => {
        doc.Statement[0]!.Resource = "*";
      }),
      "on every resource ('*')",
    );
    // The metric statement is exempt only through config; without the exemption it is reported.
    await assertHasViolation(
      disallowWildcardBackupRolePermissions,
      baseline,
      "cloudwatch:PutMetricData on every resource",
      { resourceWildcardActions: [] },
    );
  });

  it("disallow-wildcard-backup-role-permissions: a managed policy attached", async () => {
    const attach = structuredClone(baseline.find(named(T.rolePolicy, "backup-oidc-access"))!);
    const resources = [
      ...baseline,
      {
        ...attach,
        type: T.attachment,
        name: "backup-admin",
        urn: attach.urn
          .replace(T.rolePolicy, T.attachment)
          .replace("backup-oidc-access", "backup-admin"),
        inputs: {
          role: attach.inputs.role,
          policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
        },
        outputs: {
          role: attach.inputs.role,
          policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
        },
      },
    ];
    await assertHasViolation(
      disallowWildcardBackupRolePermissions,
      resources,
      "AdministratorAccess attached",
    );
  });

  it("enforce-exact-github-oidc-trust: repo:org/* with StringLike", async () => {
    await assertHasViolation(
      enforceExactGithubOidcTrust,
      editDocument(T.role, "backup-oidc-role", "assumeRolePolicy", (doc) => {
        const condition = doc.Statement[0]!.Condition as Record<string, Record<string, unknown>>;
        const sub = "token.actions.githubusercontent.com:sub";
        condition.StringLike = { [sub]: "repo:acme/*" };
        delete condition.StringEquals![sub];
      }),
      /matches GitHub claims with StringLike/,
    );
  });

  it("enforce-exact-github-oidc-trust: no sub condition, or a second repository", async () => {
    await assertHasViolation(
      enforceExactGithubOidcTrust,
      editDocument(T.role, "backup-oidc-role", "assumeRolePolicy", (doc) => {
        const condition = doc.Statement[0]!.Condition as Record<string, Record<string, unknown>>;
        delete condition.StringEquals!["token.actions.githubusercontent.com:sub"];
      }),
      "has no token.actions.githubusercontent.com:sub condition",
    );
    await assertHasViolation(
      enforceExactGithubOidcTrust,
      editDocument(T.role, "preview-oidc-role", "assumeRolePolicy", (doc) => {
        const condition = doc.Statement[0]!.Condition as Record<string, Record<string, unknown>>;
        condition.StringEquals!["token.actions.githubusercontent.com:sub"] = [
          "repo:acme/acme-app:pull_request",
          "repo:evil/fork:pull_request",
        ];
      }),
      "trusts 2 repositories",
    );
  });

  it("enforce-exact-github-oidc-trust: the backup role may not trust pull requests", async () => {
    await assertHasViolation(
      enforceExactGithubOidcTrust,
      editDocument(T.role, "backup-oidc-role", "assumeRolePolicy", (doc) => {
        const condition = doc.Statement[0]!.Condition as Record<string, Record<string, unknown>>;
        condition.StringEquals!["token.actions.githubusercontent.com:sub"] =
          "repo:acme/acme-app:pull_request";
      }),
      "(a pull request subject); allowed here: environment",
    );
  });
});

describe("Vercel", () => {
  it("require-sensitive-secret-env-vars: a secret-named variable that is not sensitive", async () => {
    await assertHasViolation(
      requireSensitiveSecretEnvVars,
      edit(T.envVar, "vercel-env-SENTRY_AUTH_TOKEN-production", (p) => (p.sensitive = false)),
      "SENTRY_AUTH_TOKEN is not sensitive, but its name marks it as a secret",
    );
  });

  it("require-sensitive-secret-env-vars: a JWT under a harmless or public name", async () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJl";
    await assertHasViolation(
      requireSensitiveSecretEnvVars,
      edit(T.envVar, "vercel-env-NEXT_PUBLIC_SUPABASE_URL-production", (p) => (p.value = jwt)),
      "NEXT_PUBLIC_SUPABASE_URL is public (NEXT_PUBLIC_) but its value looks like a JWT",
    );
  });

  it("disallow-production-secrets-in-preview: one entry for production and preview", async () => {
    const changed = edit(
      T.envVar,
      "vercel-env-SUPABASE_SERVICE_ROLE_KEY-production",
      (p) => (p.targets = ["preview", "production"]),
    );
    await assertHasViolation(
      disallowProductionSecretsInPreview,
      changed,
      "SUPABASE_SERVICE_ROLE_KEY holds a secret and targets both",
    );
    await assertNoViolations(disallowProductionSecretsInPreview, changed, {
      allowInPreview: ["SUPABASE_SERVICE_ROLE_KEY"],
    });
  });
});

describe("GitHub", () => {
  it("disallow-secrets-in-actions-variables: a credential as a variable value, never printed", async () => {
    const token = "ghp_" + "A".repeat(36);
    const v = await assertHasViolation(
      disallowSecretsInActionsVariables,
      edit(T.ghVar, "github-var-production-HEALTH_URL", (p) => (p.value = token)),
      "HEALTH_URL holds what looks like a GitHub token",
    );
    expect(JSON.stringify(v)).not.toContain(token);
  });

  it("disallow-secrets-in-actions-variables: a secret-looking name", async () => {
    await assertHasViolation(
      disallowSecretsInActionsVariables,
      edit(T.ghVar, "github-var-production-HEALTH_URL", (p) => (p.variableName = "STRIPE_API_KEY")),
      "STRIPE_API_KEY has a name that marks it as a secret",
    );
  });

  it("require-github-secrets-from-pulumi-secrets: sealed elsewhere, or a placeholder", async () => {
    await assertHasViolation(
      requireGithubSecretsFromPulumiSecrets,
      edit(T.ghSecret, "github-secret-production-SUPABASE_DB_URL", (p) => {
        delete p.value;
        p.encryptedValue = "c2VhbGVkIGVsc2V3aGVyZQ==";
      }),
      "SUPABASE_DB_URL is set from encryptedValue",
    );
    await assertHasViolation(
      requireGithubSecretsFromPulumiSecrets,
      edit(T.ghSecret, "github-secret-production-SUPABASE_DB_URL", (p) => (p.value = "changeme")),
      "SUPABASE_DB_URL holds a placeholder",
    );
  });
});

describe("stack", () => {
  it("require-frequent-health-check: a slow alarm, or one that pages the wrong severity", async () => {
    await assertHasViolation(
      requireFrequentHealthCheck,
      edit(T.alarm, "alerts-health-alarm", (p) => (p.evaluationPeriods = 5)),
      "take up to 330 s to notice an outage (limit 300 s)",
    );
    await assertHasViolation(
      requireFrequentHealthCheck,
      edit(
        T.alarm,
        "alerts-health-alarm",
        (p) => (p.alarmActions = ["arn:aws:sns:us-east-1:000000000000:runbooks-production-p2"]),
      ),
      "does not notify the P0 topic",
    );
    await assertHasViolation(
      requireFrequentHealthCheck,
      without(baseline, (r) => r.type === T.healthCheck),
      "has no Route 53 health check",
    );
  });

  it("require-severity-topic-subscribers: a topic left without subscribers", async () => {
    const v = await assertHasViolation(
      requireSeverityTopicSubscribers,
      without(baseline, (r) => r.type === T.subscription && r.name.startsWith("alerts-topics-p2-")),
      "(P2) has no subscriber",
    );
    expect(v.resource?.name).toBe("alerts-topics-p2");
  });

  it("require-budget-notifications: no budget, or one that notifies nobody", async () => {
    await assertHasViolation(
      requireBudgetNotifications,
      without(baseline, (r) => r.type === T.budget),
      "has no cost budget",
    );
    await assertHasViolation(
      requireBudgetNotifications,
      edit(T.budget, "alerts-budgets-production-monthly", (p) => (p.notifications = [])),
      "has no notification with a subscriber",
    );
  });

  it("require-backup-freshness-alarm: missing, or missing data treated as fine", async () => {
    await assertHasViolation(
      requireBackupFreshnessAlarm,
      without(baseline, named(T.alarm, "alerts-backup-freshness-alarm")),
      "no alarm on Runbooks/Backups LastSuccessTimestamp",
    );
    await assertHasViolation(
      requireBackupFreshnessAlarm,
      edit(T.alarm, "alerts-backup-freshness-alarm", (p) => (p.treatMissingData = "notBreaching")),
      "must treat missing data as breaching",
    );
  });

  it("the stack-wide AWS rules do not apply to a stack without AWS resources", async () => {
    const noAws = baseline.filter((r) => !r.type.startsWith("aws:"));
    for (const policy of [
      requireFrequentHealthCheck,
      requireBudgetNotifications,
      requireBackupFreshnessAlarm,
    ])
      expect(await violationsOf(policy, noAws)).toEqual([]);
  });
});

describe("values not known yet (preview of new resources)", () => {
  it("a policy that needs one reports it cannot run, as the policy server does, instead of passing", async () => {
    // The sentinel the policy server's deserializer puts where the engine sent an unknown.
    const { unknownStringValue } = require("@pulumi/policy/proxy") as {
      unknownStringValue: string;
    };
    const changed = edit(T.bucketPolicy, "backup-policy", (p) => (p.policy = unknownStringValue));
    const found = await violationsOf(requireTlsOnlyBackupBucketPolicy, changed);
    expect(found).toHaveLength(1);
    expect(found[0]!.enforcementLevel).toBe("advisory");
    expect(found[0]!.message).toMatch(
      /can't run policy require-tls-only-backup-bucket-policy during preview: string value at \.policy/,
    );
  });
});
