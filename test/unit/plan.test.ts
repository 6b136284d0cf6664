/**
 * Planning without Pulumi: every check the config schema cannot make alone,
 * each failing with a ConfigError that names the key and the stack file.
 */
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  parseStackConfig,
  type RawStackConfig,
  type StackConfig,
} from "../../infra/config/index";
import {
  backupFreshnessPlan,
  healthCheckTarget,
  respondWithinText,
  topicDisplayName,
} from "../../infra/alerts/plan";
import { ARCHIVE_STORAGE_CLASS, lifecycleRules } from "../../infra/backup-storage/plan";
import { secretLookingValue } from "../../infra/github/plan";
import { planStack } from "../../infra/plan";
import type { Loose } from "../support/mocks/fixtures";

const context = { stack: "staging", stackFile: "stacks/Pulumi.staging.yaml" };

/** A valid configuration with every cloud feature on. */
function baseline(): Loose {
  return {
    owner: "platform-team",
    aws: { region: "eu-west-1" },
    vercel: {
      projectName: "acme-app",
      gitRepository: { repo: "acme/acme-app" },
      env: [
        {
          key: "NEXT_PUBLIC_SUPABASE_URL",
          targets: ["production", "preview", "development"],
          value: "https://x.supabase.co",
        },
        {
          key: "SUPABASE_SERVICE_ROLE_KEY",
          targets: ["production", "preview"],
          secretRef: "serviceRoleKey",
        },
      ],
    },
    github: {
      owner: "acme",
      repository: "acme-app",
      environments: [{ name: "staging" }],
      secrets: [{ name: "DEPLOY_HOOK", secretRef: "deployHook" }],
      variables: [
        {
          name: "HEALTH_URL",
          value: "https://staging.acme.example/api/health",
          environment: "staging",
        },
      ],
    },
    backup: { prefix: "postgres/staging/", oidcEnvironment: "staging", maxAgeHours: 26 },
    alerts: {
      healthCheck: { url: "https://staging.acme.example/api/health" },
      routes: { P0: { emails: ["oncall@acme.example"] }, P1: {}, P2: {}, P3: {} },
    },
    budgets: [{ name: "monthly", monthlyLimitUsd: 50 }],
    rotation: { credentials: [{ name: "app-db-login", kind: "postgres-login" }] },
  };
}

function config(change?: (raw: Loose) => void): StackConfig & { stack: string } {
  const raw = baseline();
  change?.(raw);
  return { ...parseStackConfig(raw as RawStackConfig, context), stack: "staging" };
}

function problemsOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

const none = new Set<string>();

describe("planStack: a valid configuration", () => {
  it("plans every area", () => {
    const plan = planStack(config(), none);
    expect(plan.vercel?.map((v) => [v.key, v.sensitive])).toEqual([
      ["NEXT_PUBLIC_SUPABASE_URL", false],
      ["SUPABASE_SERVICE_ROLE_KEY", true],
    ]);
    expect(plan.github?.environments.map((e) => e.name)).toEqual(["staging"]);
    expect(plan.backup?.oidc).toEqual({
      owner: "acme",
      repository: "acme-app",
      branch: "main",
      environment: "staging",
    });
    expect(plan.alerting?.health).toMatchObject({
      fqdn: "staging.acme.example",
      port: 443,
      resourcePath: "/api/health",
      intervalSeconds: 30,
    });
    expect(plan.alerting?.freshness).toMatchObject({
      evaluationPeriods: 26,
      treatMissingData: "breaching",
      severity: "P1",
    });
    expect(plan.healthWorkflow).toEqual({
      stack: "staging",
      url: "https://staging.acme.example/api/health",
    });
  });

  it("names the backup workflow's settings plainly inside an environment, with the stack appended at repository scope", () => {
    expect(planStack(config(), none).backupWorkflow?.names).toMatchObject({
      bucket: "RUNBOOKS_BACKUP_BUCKET",
      databaseUrl: "RUNBOOKS_DATABASE_URL",
    });
    const repoScoped = planStack(
      config((r) => delete r.backup.oidcEnvironment),
      none,
    ).backupWorkflow!;
    expect(repoScoped.environment).toBeUndefined();
    expect(repoScoped.names).toMatchObject({
      bucket: "RUNBOOKS_BACKUP_BUCKET_STAGING",
      roleArn: "RUNBOOKS_BACKUP_ROLE_ARN_STAGING",
    });
  });

  it("plans nothing for areas that are switched off", () => {
    const plan = planStack(
      config((r) => {
        r.features = {
          vercel: false,
          github: false,
          backupStorage: false,
          alerts: false,
          rls: false,
          backups: false,
          rotation: false,
        };
      }),
      none,
    );
    expect(plan).toEqual({});
  });

  it("skips backup storage (and its workflow) when the bucket mode is skip", () => {
    const plan = planStack(
      config((r) => (r.backup.bucket = { mode: "skip" })),
      none,
    );
    expect(plan.backup).toBeUndefined();
    expect(plan.backupWorkflow).toBeUndefined();
  });
});

describe("planStack: Vercel errors", () => {
  it("refuses a secret for the development target (Vercel cannot keep it sensitive there)", () => {
    const err = problemsOf(() =>
      planStack(
        config((r) => (r.vercel.env[1].targets = ["production", "development"])),
        none,
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:vercel.env[1].targets"]);
    expect(err.message).toContain("SUPABASE_SERVICE_ROLE_KEY holds a secret");
    expect(err.message).toContain("stacks/Pulumi.staging.yaml");
  });

  it("refuses a rotationRef whose rotated value does not exist yet, and accepts it once it does", () => {
    const change = (r: Loose) =>
      (r.vercel.env[1] = {
        key: "DATABASE_URL",
        targets: ["production"],
        rotationRef: "app-db-login",
      });
    const err = problemsOf(() => planStack(config(change), none));
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:vercel.env[1].rotationRef"]);
    expect(err.problems[0]!.message).toMatch(/no rotated value for it exists/);
    expect(err.problems[0]!.fix).toMatch(/features\.rotation/);
    expect(planStack(config(change), new Set(["app-db-login"])).vercel?.[1]).toMatchObject({
      sensitive: true,
      source: { kind: "rotated" },
    });
  });

  it("refuses two entries that set the same key for the same target", () => {
    const err = problemsOf(() =>
      planStack(
        config((r) =>
          r.vercel.env.push({
            key: "NEXT_PUBLIC_SUPABASE_URL",
            targets: ["preview"],
            value: "https://y.supabase.co",
          }),
        ),
        none,
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:vercel.env[2].targets"]);
    expect(err.problems[0]!.message).toContain("by vercel.env[0]");
  });
});

describe("planStack: GitHub errors", () => {
  it("refuses a variable whose value looks like a secret, without echoing the value", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
    const err = problemsOf(() =>
      planStack(
        config((r) => r.github.variables.push({ name: "SUPABASE_KEY_HINT", value: jwt })),
        none,
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:github.variables[1].value"]);
    expect(err.message).toContain("looks like a JWT");
    expect(err.message).not.toContain(jwt);
  });

  it("refuses a variable that collides with one the backup workflow needs", () => {
    const err = problemsOf(() =>
      planStack(
        config((r) =>
          r.github.variables.push({
            name: "RUNBOOKS_BACKUP_BUCKET",
            value: "mine",
            environment: "staging",
          }),
        ),
        none,
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:github.variables[1].name"]);
    expect(err.problems[0]!.message).toContain("also set by the backup workflow");
  });

  it("refuses the same secret twice in one scope, but allows it in different scopes", () => {
    const err = problemsOf(() =>
      planStack(
        config((r) => r.github.secrets.push({ name: "DEPLOY_HOOK", secretRef: "other" })),
        none,
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:github.secrets[1].name"]);
    expect(() =>
      planStack(
        config((r) =>
          r.github.secrets.push({
            name: "DEPLOY_HOOK",
            secretRef: "other",
            environment: "staging",
          }),
        ),
        none,
      ),
    ).not.toThrow();
  });

  it("refuses more than six required reviewers", () => {
    const err = problemsOf(() =>
      planStack(
        config(
          (r) =>
            (r.github.environments[0].reviewers = { users: [1, 2, 3, 4, 5], teams: ["a", "b"] }),
        ),
        none,
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:github.environments[0].reviewers"]);
  });

  it("refuses a GitHub secret with a rotationRef that has no rotated value", () => {
    const err = problemsOf(() =>
      planStack(
        config((r) => r.github.secrets.push({ name: "DB_URL", rotationRef: "app-db-login" })),
        none,
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:github.secrets[1].rotationRef"]);
  });
});

describe("planStack: backup storage errors", () => {
  it("refuses Object Lock on an existing bucket", () => {
    const err = problemsOf(() =>
      planStack(
        config((r) => {
          r.backup.bucket = { mode: "existing", name: "acme-backups" };
          r.backup.objectLock = { mode: "COMPLIANCE", retentionDays: 7 };
        }),
        none,
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:backup.objectLock"]);
  });

  it.each([
    ["postgres", "runbooks:backup.prefix"],
    ["/postgres/", "runbooks:backup.prefix"],
    ["", "runbooks:backup.prefix"],
  ])("refuses the prefix %j (the role is limited to exactly it)", (prefix, key) => {
    const err = problemsOf(() =>
      planStack(
        config((r) => (r.backup.prefix = prefix)),
        none,
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual([key]);
  });

  it("refuses a custom S3 endpoint and an undeclared OIDC environment", () => {
    const err = problemsOf(() =>
      planStack(
        config((r) => {
          r.backup.endpoint = "http://127.0.0.1:9000";
          r.backup.oidcEnvironment = "production";
        }),
        none,
      ),
    );
    expect(err.problems.map((p) => p.key).sort()).toEqual([
      "runbooks:backup.endpoint",
      "runbooks:backup.oidcEnvironment",
    ]);
    expect(err.message).toContain(
      "environment 'production' is not declared under github.environments (declared: staging)",
    );
  });
});

describe("planStack: alerting errors", () => {
  it("refuses a health URL Route 53 cannot reach", () => {
    const err = problemsOf(() =>
      planStack(
        config((r) => (r.alerts.healthCheck.url = "http://localhost:3000/api/health")),
        none,
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:alerts.healthCheck.url"]);
    expect(err.problems[0]!.message).toBe("must use https://");
  });

  it("refuses a backup age the alarm cannot look back over", () => {
    const err = problemsOf(() =>
      planStack(
        config((r) => (r.backup.maxAgeHours = 200)),
        none,
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:backup.maxAgeHours"]);
  });

  it("refuses more than five budget notifications, duplicates, and duplicate budget names", () => {
    const thresholds = [50, 60, 70, 80, 90, 100].map((percent) => ({ percent, type: "ACTUAL" }));
    const err = problemsOf(() =>
      planStack(
        config((r) => {
          r.budgets = [
            { name: "monthly", monthlyLimitUsd: 50, thresholds },
            {
              name: "monthly",
              monthlyLimitUsd: 60,
              thresholds: [
                { percent: 80, type: "ACTUAL" },
                { percent: 80, type: "ACTUAL" },
              ],
            },
          ];
        }),
        none,
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual([
      "runbooks:budgets[0].thresholds",
      "runbooks:budgets[1].name",
      "runbooks:budgets[1].thresholds[1]",
    ]);
  });

  it("reports the problems of every area at once", () => {
    const err = problemsOf(() =>
      planStack(
        config((r) => {
          r.vercel.env[1].targets = ["development"];
          r.backup.prefix = "x";
          r.alerts.healthCheck.url = "https://127.0.0.1/api/health";
        }),
        none,
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual([
      "runbooks:vercel.env[1].targets",
      "runbooks:backup.prefix",
      "runbooks:alerts.healthCheck.url",
    ]);
  });
});

describe("pure helpers", () => {
  it("counts hourly periods for the freshness alarm, rounding up", () => {
    expect(backupFreshnessPlan(26)).toMatchObject({
      periodSeconds: 3600,
      evaluationPeriods: 26,
      datapointsToAlarm: 26,
      statistic: "SampleCount",
    });
    expect(backupFreshnessPlan(7.5).evaluationPeriods).toBe(8);
    expect(() => backupFreshnessPlan(169)).toThrow(/at most 168 hours/);
  });

  it("states response times in words", () => {
    expect(respondWithinText(0)).toBe("immediately");
    expect(respondWithinText(45)).toBe("within 45 min");
    expect(respondWithinText(1440)).toBe("within 24 h");
    expect(topicDisplayName("P3", 1440)).toBe("P3 - respond within 24 h");
  });

  it("reads host, port and path from the health URL", () => {
    expect(healthCheckTarget("https://app.example.com:8443/api/health?deep=1")).toEqual({
      fqdn: "app.example.com",
      port: 8443,
      resourcePath: "/api/health?deep=1",
    });
    expect(() => healthCheckTarget("https://10.0.0.1/api/health")).toThrow(/public host/);
  });

  it("archives then expires dumps under the prefix, and cleans versions and multipart uploads", () => {
    const rules = lifecycleRules({
      prefix: "p/",
      archiveAfterDays: 30,
      retentionDays: 400,
      noncurrentVersionDays: 7,
      abortIncompleteMultipartDays: 2,
    });
    expect(rules[0]).toEqual({
      id: "archive-then-expire-dumps",
      status: "Enabled",
      filter: { prefix: "p/" },
      transitions: [{ days: 30, storageClass: ARCHIVE_STORAGE_CLASS }],
      expiration: { days: 400 },
      noncurrentVersionExpiration: { noncurrentDays: 7 },
    });
    expect(rules.map((r) => r.id)).toEqual([
      "archive-then-expire-dumps",
      "abort-incomplete-multipart-uploads",
      "remove-expired-delete-markers",
    ]);
    expect(rules[1]!.abortIncompleteMultipartUpload).toEqual({ daysAfterInitiation: 2 });
  });

  it.each([
    ["postgres://user:pw@db.example.com:5432/x", "a URL with a password"],
    ["ghp_abcdefghijklmnopqrstuvwxyz0123456789", "a GitHub token"],
    ["AKIAABCDEFGHIJKLMNOP", "an AWS access key id"],
    ["https://hooks.slack.com/services/T000/B000/xyz", "a Slack token or webhook"],
    ["-----BEGIN RSA PRIVATE KEY-----", "a private key"],
  ])("recognizes %j as %s", (value, what) => {
    expect(secretLookingValue(value)).toBe(what);
  });

  it.each([
    "eu-west-1",
    "https://app.acme.example/api/health",
    "arn:aws:iam::123456789012:role/x",
    "postgres://db.example.com/x",
  ])("does not flag the ordinary value %j", (value) => {
    expect(secretLookingValue(value)).toBeUndefined();
  });
});
