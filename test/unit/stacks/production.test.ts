/**
 * The production stack file builds the full platform graph; plus what is
 * specific to production (Object Lock, committed workflows, required
 * reviewers, rotated credentials, paging webhooks and Slack).
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_CALLS, isWrappedSecret, unwrap } from "../../support/mocks/mocks";
import {
  FAKE_ROTATED_DB_URL,
  buildStackGraph,
  describeGraphInvariants,
} from "../../support/mocks/graph-checks";

const graph = buildStackGraph("production");
describeGraphInvariants("production", graph);

describe("stack 'production': specifics", () => {
  it("makes dumps immutable for 14 days in governance mode", () => {
    const { recorder } = graph();
    expect(recorder.one("aws:s3/bucket:Bucket").inputs.objectLockEnabled).toBe(true);
    const lock = recorder.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration");
    expect(lock.inputs.rule).toEqual({ defaultRetention: { mode: "GOVERNANCE", days: 14 } });
  });

  it("commits the backup and health workflows to the app repository without overwriting existing files", () => {
    const { recorder, outputs } = graph();
    const files = recorder.ofType("github:index/repositoryFile:RepositoryFile");
    expect(files.map((f) => f.inputs.file).sort()).toEqual([
      ".github/workflows/runbooks-backup-production.yml",
      ".github/workflows/runbooks-health-production.yml",
    ]);
    for (const f of files) {
      expect(f.inputs).toMatchObject({
        repository: "acme-app",
        branch: "main",
        overwriteOnCreate: false,
      });
      expect(isWrappedSecret(f.inputs.content)).toBe(false);
    }
    expect(outputs.github?.workflowFiles?.location).toBe("acme/acme-app@main");
  });

  it("requires the platform-leads team to approve production deployments", () => {
    const { recorder } = graph();
    const env = recorder.named("github-env-production");
    const teamId = Number(
      DEFAULT_CALLS["github:index/getTeam:getTeam"]!({ slug: "platform-leads" }).id,
    );
    expect(env.inputs.reviewers).toEqual([{ users: [], teams: [teamId] }]);
    expect(env.inputs).toMatchObject({
      waitTimer: 5,
      preventSelfReview: true,
      canAdminsBypass: false,
    });
    expect(env.inputs.deploymentBranchPolicy).toEqual({
      protectedBranches: true,
      customBranchPolicies: false,
    });
    expect(
      recorder.calls
        .filter((c) => c.token === "github:index/getTeam:getTeam")
        .map((c) => c.inputs.slug),
    ).toEqual(["platform-leads"]);
  });

  it("gives the app its database credential from the rotation, and the backup job the owner's", () => {
    const { recorder, secrets } = graph();
    const vercelDb = recorder.named("vercel-env-DATABASE_URL-production");
    expect(vercelDb.inputs.sensitive).toBe(true);
    expect(isWrappedSecret(vercelDb.inputs.value)).toBe(true);
    expect(unwrap(vercelDb.inputs.value)).toBe(FAKE_ROTATED_DB_URL);
    const ghDb = recorder.named("github-secret-production-SUPABASE_DB_URL");
    expect(unwrap(ghDb.inputs.value)).toBe(secrets.databaseUrl);
  });

  it("declares each rotated credential with its max age and sinks (the inputs the policy pack reads)", () => {
    const { recorder } = graph();
    const credentials = recorder.ofType(
      "pulumi-nodejs:dynamic/runbooks-rotation:RotatedCredential",
    );
    expect(
      credentials.map((c) => [c.inputs.name, c.inputs.maxAgeDays, c.inputs.sinks]).sort(),
    ).toEqual([
      // Interval plus overlap: 30 days and 2 hours; 89 days and 1 day.
      [
        "app-db-login",
        30.083,
        [{ kind: "vercel-env", target: "acme-app/DATABASE_URL (production)" }],
      ],
      [
        "supabase-secret-key",
        90,
        [{ kind: "vercel-env", target: "acme-app/SUPABASE_SECRET_KEY (production)" }],
      ],
    ]);
    // The owner connection string reaches the credential only as a secret.
    const db = credentials.find((c) => c.inputs.name === "app-db-login")!;
    expect(isWrappedSecret(db.inputs.postgres)).toBe(true);
    expect((unwrap(db.inputs.postgres) as { group: string }).group).toBe("app_rw");
  });

  it("declares the group role, its grants and default privileges with @pulumi/postgresql, never a password", () => {
    const { recorder } = graph();
    const roles = recorder.ofType("postgresql:index/role:Role");
    expect(roles.map((r) => r.inputs)).toEqual([{ name: "app_rw", login: false, inherit: true }]);
    const grants = recorder.ofType("postgresql:index/grant:Grant");
    expect(grants.map((g) => [g.inputs.objectType, g.inputs.privileges]).sort()).toEqual([
      ["schema", ["USAGE"]],
      ["sequence", ["USAGE", "SELECT"]],
      ["table", ["DELETE", "INSERT", "SELECT", "UPDATE"]],
    ]);
    const defaults = recorder.ofType("postgresql:index/defaultPrivileges:DefaultPrivileges");
    expect(
      defaults.map((d) => [d.inputs.objectType, d.inputs.owner, d.inputs.role]).sort(),
    ).toEqual([
      ["sequence", "postgres", "app_rw"],
      ["table", "postgres", "app_rw"],
    ]);
  });

  it("redeploys, gates and revokes only after every sink: the rollout waits for the Vercel and GitHub components", () => {
    const { recorder } = graph();
    const rollout = recorder.one("pulumi-nodejs:dynamic/runbooks-rotation-steps:Rollout");
    expect(
      (rollout.inputs.gates as { url: string; passes: number }[]).map((g) => [g.url, g.passes]),
    ).toEqual([["https://app.acme.example/api/health", 5]]);
    expect(isWrappedSecret(rollout.inputs.vercel)).toBe(true);
    expect((unwrap(rollout.inputs.vercel) as { projects: string[] }).projects).toEqual([
      "acme-app",
    ]);
  });

  it("pages P0 and P1 through their secret webhooks and routes P0 to Slack in both regions", () => {
    const { recorder, secrets } = graph();
    const webhooks = recorder
      .ofType("aws:sns/topicSubscription:TopicSubscription")
      .filter((s) => s.inputs.protocol === "https");
    expect(webhooks.map((w) => w.name).sort()).toEqual([
      "alerts-topics-p0-webhook",
      "alerts-topics-p1-webhook",
      "alerts-topics-us-east-1-p0-webhook",
    ]);
    for (const w of webhooks) expect(isWrappedSecret(w.inputs.endpoint)).toBe(true);
    expect(unwrap(recorder.named("alerts-topics-p1-webhook").inputs.endpoint)).toBe(
      secrets.slackWebhookUrl,
    );
    expect(unwrap(recorder.named("alerts-topics-p0-webhook").inputs.endpoint)).toBe(
      secrets.pagerWebhookUrl,
    );
    const slack = recorder.one("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration");
    expect(slack.inputs).toMatchObject({
      slackTeamId: "T0ACME0001",
      slackChannelId: "C0INCIDENTS",
      userAuthorizationRequired: true,
    });
    expect((slack.inputs.snsTopicArns as string[]).sort()).toEqual([
      "arn:aws:sns:eu-west-1:123456789012:runbooks-production-p0",
      "arn:aws:sns:us-east-1:123456789012:runbooks-production-p0",
    ]);
  });
});

describe("stack 'production': the pull-request preview role", () => {
  it("trusts only pull requests of the one repository, reads and never writes, and is exported", async () => {
    const { recorder, outputs } = graph();
    const role = recorder.named("preview-oidc-role");
    const trust = JSON.parse(String(unwrap(role.inputs.assumeRolePolicy))) as {
      Statement: { Action: string; Condition: { StringEquals: Record<string, string> } }[];
    };
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0]!.Action).toBe("sts:AssumeRoleWithWebIdentity");
    expect(trust.Statement[0]!.Condition.StringEquals).toEqual({
      "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
      "token.actions.githubusercontent.com:sub": "repo:acme/acme-app:pull_request",
    });
    expect(role.inputs.tags).toMatchObject({ purpose: "pull-request-preview" });
    const read = recorder.named("preview-oidc-read");
    const doc = JSON.parse(String(read.inputs.policy)) as {
      Statement: { Effect: string; Action: string[] }[];
    };
    const allowed = doc.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => s.Action);
    expect(allowed.length).toBeGreaterThan(10);
    for (const action of allowed) expect(action).toMatch(/^[a-z0-9]+:(Get|List|Describe|View)/);
    expect(recorder.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toEqual([]);
    expect(outputs.backupStorage?.previewOidcSubject).toBe("repo:acme/acme-app:pull_request");
    expect(outputs.backupStorage?.region).toBe("eu-west-1");
    const arn = await new Promise((r) => outputs.backupStorage!.previewRoleArn.apply(r));
    expect(arn).toMatch(/^arn:aws:iam::\d{12}:role\/runbooks-production-preview-gha/);
  });
});
