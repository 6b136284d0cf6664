import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  ConfigError,
  DEFAULT_ESCALATION,
  checkSecrets,
  escalationTable,
  parseStackConfig,
  requiredSecrets,
  type RawStackConfig,
} from "../../../infra/config/index";

const context = { stack: "staging", stackFile: "stacks/Pulumi.staging.yaml" };

/** The smallest valid configuration with every cloud feature on. */
function baseline(): RawStackConfig {
  return {
    owner: "platform-team",
    aws: { region: "eu-west-1" },
    vercel: { projectName: "acme-app", gitRepository: { repo: "acme/acme-app" }, env: [] },
    github: { owner: "acme", repository: "acme-app" },
    alerts: {
      healthCheck: { url: "https://app.acme.example/api/health" },
      routes: { P0: { emails: ["oncall@acme.example"] }, P1: {}, P2: {}, P3: {} },
    },
  };
}

function errorOf(raw: RawStackConfig): ConfigError {
  try {
    parseStackConfig(raw, context);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

function keysOf(raw: RawStackConfig): string[] {
  return errorOf(raw).problems.map((p) => p.key);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests poke arbitrary invalid shapes
type Loose = Record<string, any>;

function withChange(change: (raw: Loose) => void): RawStackConfig {
  const raw = structuredClone(baseline()) as Loose;
  change(raw);
  return raw as RawStackConfig;
}

describe("parseStackConfig: the baseline", () => {
  it("accepts the baseline and fills the documented defaults", () => {
    const config = parseStackConfig(baseline(), context);
    expect(config.features).toEqual({
      vercel: true,
      github: true,
      backupStorage: true,
      alerts: true,
      rls: true,
      backups: true,
      rotation: true,
    });
    expect(config.alerts?.healthCheck.intervalSeconds).toBe(30);
    expect(config.alerts?.escalation).toEqual(DEFAULT_ESCALATION);
    expect(config.backup.bucket).toEqual({ mode: "create" });
    expect(config.database.urlSecretRef).toBe("databaseUrl");
    expect(config.github?.environments.map((e) => e.name)).toEqual(["staging", "production"]);
  });

  it("keeps the runbook's escalation times: P0 immediate, P1 1 h, P2 4 h, P3 24 h", () => {
    expect(escalationTable(undefined).map((r) => [r.severity, r.respondWithinMinutes])).toEqual([
      ["P0", 0],
      ["P1", 60],
      ["P2", 240],
      ["P3", 1440],
    ]);
  });
});

describe("parseStackConfig: one change per rule", () => {
  it("requires an owner", () => {
    expect(keysOf(withChange((r) => delete r.owner))).toEqual(["runbooks:owner"]);
  });

  it("rejects unknown keys, naming them", () => {
    const err = errorOf(withChange((r) => (r.vercel.projectname = "typo")));
    expect(err.problems[0]!.key).toBe("runbooks:vercel");
    expect(err.problems[0]!.message).toContain("projectname");
  });

  it("requires the vercel section when features.vercel is on", () => {
    const err = errorOf(withChange((r) => delete r.vercel));
    expect(err.problems[0]!.key).toBe("runbooks:vercel");
    expect(err.problems[0]!.message).toContain("features.vercel");
  });

  it("accepts a missing vercel section when the feature is off", () => {
    const config = parseStackConfig(
      withChange((r) => {
        delete r.vercel;
        r.features = { vercel: false };
      }),
      context,
    );
    expect(config.vercel).toBeUndefined();
  });

  it("requires an AWS region for alerts and backup storage", () => {
    expect(keysOf(withChange((r) => delete r.aws))).toEqual(["runbooks:aws", "runbooks:aws"]);
  });

  it("rejects an invalid AWS region", () => {
    expect(keysOf(withChange((r) => (r.aws.region = "Europe")))).toEqual(["runbooks:aws.region"]);
  });

  it("rejects an upper-case Vercel project name", () => {
    expect(keysOf(withChange((r) => (r.vercel.projectName = "Acme App")))).toEqual([
      "runbooks:vercel.projectName",
    ]);
  });

  it("rejects a git repository that is not owner/name", () => {
    expect(keysOf(withChange((r) => (r.vercel.gitRepository.repo = "acme-app")))).toEqual([
      "runbooks:vercel.gitRepository.repo",
    ]);
  });

  it("rejects a secret-looking Vercel variable given as a plain value", () => {
    const err = errorOf(
      withChange(
        (r) =>
          (r.vercel.env = [
            { key: "STRIPE_SECRET_KEY", targets: ["production"], value: "sk_live_x" },
          ]),
      ),
    );
    expect(err.problems[0]!.key).toBe("runbooks:vercel.env[0].value");
    expect(err.problems[0]!.message).toContain("pulumi config set --secret");
    expect(err.message).not.toContain("sk_live_x");
  });

  it("allows NEXT_PUBLIC_ variables as plain values even with KEY in the name", () => {
    const config = parseStackConfig(
      withChange(
        (r) =>
          (r.vercel.env = [
            { key: "NEXT_PUBLIC_SUPABASE_ANON_KEY", targets: ["production"], value: "public" },
          ]),
      ),
      context,
    );
    expect(config.vercel?.env).toHaveLength(1);
  });

  it("requires exactly one value source per Vercel variable", () => {
    const err = errorOf(
      withChange(
        (r) => (r.vercel.env = [{ key: "A", targets: ["production"], value: "x", secretRef: "a" }]),
      ),
    );
    expect(err.problems[0]!.message).toBe("set exactly one of value, secretRef or rotationRef");
  });

  it("requires at least one Vercel target", () => {
    expect(
      keysOf(withChange((r) => (r.vercel.env = [{ key: "A", targets: [], value: "x" }]))),
    ).toEqual(["runbooks:vercel.env[0].targets"]);
  });

  it("allows gitBranch only for preview-only variables", () => {
    expect(
      keysOf(
        withChange(
          (r) =>
            (r.vercel.env = [{ key: "A", targets: ["production"], value: "x", gitBranch: "dev" }]),
        ),
      ),
    ).toEqual(["runbooks:vercel.env[0].gitBranch"]);
  });

  it("rejects duplicate Vercel variables for the same targets", () => {
    const env = [
      { key: "A", targets: ["production"], value: "x" },
      { key: "A", targets: ["production"], value: "y" },
    ];
    expect(keysOf(withChange((r) => (r.vercel.env = env)))).toEqual(["runbooks:vercel.env[1].key"]);
  });

  it("rejects a rotationRef that names no rotated credential", () => {
    expect(
      keysOf(
        withChange(
          (r) =>
            (r.vercel.env = [
              { key: "DATABASE_URL", targets: ["production"], rotationRef: "nope" },
            ]),
        ),
      ),
    ).toEqual(["runbooks:vercel.env[0].rotationRef"]);
  });

  it("rejects GitHub secret names starting with GITHUB_", () => {
    expect(
      keysOf(withChange((r) => (r.github.secrets = [{ name: "GITHUB_TOKEN_X", secretRef: "t" }]))),
    ).toEqual(["runbooks:github.secrets[0].name"]);
  });

  it("rejects a GitHub secret scoped to an undeclared environment", () => {
    expect(
      keysOf(
        withChange(
          (r) =>
            (r.github.secrets = [{ name: "DB_URL", environment: "qa", secretRef: "databaseUrl" }]),
        ),
      ),
    ).toEqual(["runbooks:github.secrets[0].environment"]);
  });

  it("refuses a secret-looking GitHub variable: variables are plaintext", () => {
    const err = errorOf(
      withChange((r) => (r.github.variables = [{ name: "DEPLOY_TOKEN", value: "x" }])),
    );
    expect(err.problems[0]!.key).toBe("runbooks:github.variables[0]");
    expect(err.problems[0]!.message).toContain("github.secrets");
  });

  it("rejects a health check over plain http to a public host", () => {
    expect(
      keysOf(withChange((r) => (r.alerts.healthCheck.url = "http://app.acme.example/api/health"))),
    ).toEqual(["runbooks:alerts.healthCheck.url"]);
  });

  it("accepts plain http for loopback health checks", () => {
    const config = parseStackConfig(
      withChange((r) => (r.alerts.healthCheck.url = "http://127.0.0.1:3000/api/health")),
      context,
    );
    expect(config.alerts?.healthCheck.url).toContain("127.0.0.1");
  });

  it("accepts only the health-check intervals Route 53 supports", () => {
    const err = errorOf(withChange((r) => (r.alerts.healthCheck.intervalSeconds = 300)));
    expect(err.problems[0]!.key).toBe("runbooks:alerts.healthCheck.intervalSeconds");
    expect(err.problems[0]!.message).toContain("10 or 30");
  });

  it("bounds the failure threshold to 1–10", () => {
    expect(keysOf(withChange((r) => (r.alerts.healthCheck.failureThreshold = 11)))).toEqual([
      "runbooks:alerts.healthCheck.failureThreshold",
    ]);
  });

  it("refuses a P0 route with no subscriber", () => {
    const err = errorOf(withChange((r) => (r.alerts.routes.P0 = { emails: [] })));
    expect(err.problems[0]!.key).toBe("runbooks:alerts.routes.P0");
    expect(err.problems[0]!.message).toContain("reach nobody");
  });

  it("requires a route for every severity", () => {
    expect(keysOf(withChange((r) => delete r.alerts.routes.P3))).toEqual([
      "runbooks:alerts.routes.P3",
    ]);
  });

  it("rejects an escalation table where a lower severity is more urgent", () => {
    const escalation = structuredClone(DEFAULT_ESCALATION);
    escalation.P2.respondWithinMinutes = 30;
    expect(keysOf(withChange((r) => (r.alerts.escalation = escalation)))).toEqual([
      "runbooks:alerts.escalation.P2.respondWithinMinutes",
    ]);
  });

  it("requires all four severities in a custom escalation table", () => {
    const { P3: _dropped, ...escalation } = structuredClone(DEFAULT_ESCALATION);
    expect(keysOf(withChange((r) => (r.alerts.escalation = escalation)))).toEqual([
      "runbooks:alerts.escalation.P3",
    ]);
  });

  it("rejects a malformed e-mail subscriber", () => {
    expect(keysOf(withChange((r) => (r.alerts.routes.P1 = { emails: ["oncall"] })))).toEqual([
      "runbooks:alerts.routes.P1.emails[0]",
    ]);
  });

  it("rejects Slack ids that are not Slack ids", () => {
    expect(
      keysOf(
        withChange(
          (r) =>
            (r.alerts.routes.P1 = { chatbot: { slackTeamId: "acme", slackChannelId: "C123" } }),
        ),
      ),
    ).toEqual(["runbooks:alerts.routes.P1.chatbot.slackTeamId"]);
  });

  it("rejects an archive transition at or after expiry", () => {
    expect(
      keysOf(withChange((r) => (r.backup = { archiveAfterDays: 90, retentionDays: 90 }))),
    ).toEqual(["runbooks:backup.archiveAfterDays"]);
  });

  it("rejects an Object Lock longer than the retention window", () => {
    expect(
      keysOf(
        withChange(
          (r) =>
            (r.backup = {
              retentionDays: 30,
              archiveAfterDays: 7,
              objectLock: { mode: "COMPLIANCE", retentionDays: 60 },
            }),
        ),
      ),
    ).toEqual(["runbooks:backup.objectLock.retentionDays"]);
  });

  it("rejects an unknown bucket mode", () => {
    expect(keysOf(withChange((r) => (r.backup = { bucket: { mode: "import" } })))).toEqual([
      "runbooks:backup.bucket.mode",
    ]);
  });

  it("requires a name for an existing bucket", () => {
    expect(keysOf(withChange((r) => (r.backup = { bucket: { mode: "existing" } })))).toEqual([
      "runbooks:backup.bucket.name",
    ]);
  });

  it("rejects a backup schedule that is not 5-field cron", () => {
    expect(keysOf(withChange((r) => (r.backup = { schedule: "daily" })))).toEqual([
      "runbooks:backup.schedule",
    ]);
  });

  it("rejects a budget without a positive limit", () => {
    expect(
      keysOf(withChange((r) => (r.budgets = [{ name: "monthly", monthlyLimitUsd: 0 }]))),
    ).toEqual(["runbooks:budgets[0].monthlyLimitUsd"]);
  });

  it("rejects an unknown budget threshold type", () => {
    expect(
      keysOf(
        withChange(
          (r) =>
            (r.budgets = [
              { name: "m", monthlyLimitUsd: 10, thresholds: [{ percent: 80, type: "PREDICTED" }] },
            ]),
        ),
      ),
    ).toEqual(["runbooks:budgets[0].thresholds[0].type"]);
  });

  it("rejects duplicate RLS tables and policy names", () => {
    const rls = {
      tables: [
        {
          table: "projects",
          policies: [
            { name: "p", using: "true" },
            { name: "p", using: "true" },
          ],
        },
        { table: "projects" },
      ],
    };
    expect(keysOf(withChange((r) => (r.rls = rls)))).toEqual([
      "runbooks:rls.tables[0].policies[1].name",
      "runbooks:rls.tables[1].table",
    ]);
  });

  it("rejects USING on an INSERT policy and WITH CHECK on a SELECT policy", () => {
    const rls = {
      tables: [
        {
          table: "projects",
          policies: [
            { name: "ins", command: "INSERT", using: "true" },
            { name: "sel", command: "SELECT", using: "true", withCheck: "true" },
          ],
        },
      ],
    };
    expect(keysOf(withChange((r) => (r.rls = rls)))).toEqual([
      "runbooks:rls.tables[0].policies[0].using",
      "runbooks:rls.tables[0].policies[1].withCheck",
    ]);
  });

  it("rejects table names that are not lower-case identifiers", () => {
    expect(keysOf(withChange((r) => (r.rls = { tables: [{ table: "Projects" }] })))).toEqual([
      "runbooks:rls.tables[0].table",
    ]);
  });

  it("rejects duplicate rotated credentials", () => {
    const rotation = {
      gate: { url: "https://app.example.com/api/health" },
      credentials: [
        { name: "db", kind: "postgres-login" },
        { name: "db", kind: "postgres-login" },
      ],
    };
    expect(keysOf(withChange((r) => (r.rotation = rotation)))).toEqual([
      "runbooks:rotation.credentials[1].name",
    ]);
  });

  it("refuses to rotate legacy Supabase JWT keys, naming the migration path", () => {
    const err = errorOf(
      withChange(
        (r) =>
          (r.rotation = {
            gate: { url: "https://app.example.com/api/health" },
            credentials: [{ name: "service-role", kind: "supabase-legacy-jwt" }],
          }),
      ),
    );
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:rotation.credentials[0].kind"]);
    expect(err.problems[0]!.message).toMatch(
      /invalidates anon and service_role at the same moment/,
    );
    expect(err.problems[0]!.message).toMatch(/kind: supabase-secret-key/);
  });

  it("requires a project ref for Supabase keys", () => {
    const rotation = { credentials: [{ name: "key", kind: "supabase-secret-key" }] };
    expect(keysOf(withChange((r) => (r.rotation = rotation)))).toEqual([
      "runbooks:rotation.credentials[0].projectRef",
    ]);
  });

  it("accepts '<name>.previous' only for a generic credential", () => {
    const change = (kind: string) =>
      withChange((r) => {
        r.rotation = {
          gate: { url: "https://app.example.com/api/health" },
          credentials: [{ name: "s", kind }],
        };
        r.vercel.env.push({
          key: "S_PREVIOUS",
          targets: ["production"],
          rotationRef: "s.previous",
        });
      });
    expect(keysOf(change("postgres-login"))).toEqual([expect.stringMatching(/rotationRef$/)]);
    expect(() => parseStackConfig(change("generic"), context)).not.toThrow();
  });

  it("reports every problem at once, each with the stack file and a fix", () => {
    const err = errorOf(
      withChange((r) => {
        r.aws.region = "nowhere";
        r.vercel.projectName = "Bad Name";
      }),
    );
    expect(err.problems).toHaveLength(2);
    expect(err.message).toContain("stacks/Pulumi.staging.yaml");
    for (const p of err.problems)
      expect(p.fix).toMatch(/pulumi config set --path '.+' <value> -s staging/);
  });
});

describe("secrets", () => {
  const config = parseStackConfig(
    withChange((r) => {
      r.vercel.env = [
        {
          key: "SUPABASE_SERVICE_ROLE_KEY",
          targets: ["production"],
          secretRef: "supabaseServiceRoleKey",
        },
      ];
      r.github.secrets = [{ name: "SUPABASE_DB_URL", secretRef: "databaseUrl" }];
      r.alerts.routes.P1 = { webhookSecretRef: "slackWebhookUrl" };
    }),
    context,
  );

  it("lists each required secret once, with where it is used", () => {
    expect(requiredSecrets(config).map((s) => s.key)).toEqual([
      "databaseUrl",
      "supabaseServiceRoleKey",
      "slackWebhookUrl",
    ]);
  });

  it("does not require secrets of features that are off", () => {
    const off = {
      ...config,
      features: {
        ...config.features,
        vercel: false,
        github: false,
        alerts: false,
        rls: false,
        backups: false,
        rotation: false,
      },
    };
    expect(requiredSecrets(off)).toEqual([]);
  });

  it("names the exact `pulumi config set --secret` command for a missing secret", () => {
    const run = () =>
      checkSecrets(
        requiredSecrets(config),
        (key) => (key === "databaseUrl" ? { state: "secret" } : { state: "missing" }),
        context,
      );
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/pulumi config set --secret supabaseServiceRoleKey '<value>' -s staging/);
    expect(run).toThrow(/pulumi config set --secret slackWebhookUrl 'https:\/\/hooks\.slack\.com/);
  });

  it("refuses a secret stored as plain text and says to rotate it", () => {
    const run = () =>
      checkSecrets(
        requiredSecrets(config),
        (key) => (key === "databaseUrl" ? { state: "plaintext" } : { state: "secret" }),
        context,
      );
    expect(run).toThrow(
      /runbooks:databaseUrl: is stored in plain text in stacks\/Pulumi\.staging\.yaml/,
    );
    expect(run).toThrow(/rotate the value/);
  });

  it("passes when every secret is stored encrypted", () => {
    expect(() =>
      checkSecrets(requiredSecrets(config), () => ({ state: "secret" }), context),
    ).not.toThrow();
  });
});

describe("the committed stack files", () => {
  for (const stack of ["local", "staging", "production"]) {
    it(`stacks/Pulumi.${stack}.yaml validates and holds no plaintext secret`, () => {
      const file = join(__dirname, "..", "..", "..", "stacks", `Pulumi.${stack}.yaml`);
      const doc = parse(readFileSync(file, "utf8")) as { config: Record<string, unknown> };
      const raw: Record<string, unknown> = {};
      for (const [fullKey, value] of Object.entries(doc.config)) {
        const [namespace, key] = fullKey.split(":");
        if (namespace === "runbooks") raw[key!] = value;
        if (fullKey === "aws:region" && raw.aws === undefined) raw.aws = { region: value };
      }
      const config = parseStackConfig(raw as RawStackConfig, {
        stack,
        stackFile: `stacks/Pulumi.${stack}.yaml`,
      });
      for (const secret of requiredSecrets(config)) {
        const value = doc.config[`runbooks:${secret.key}`];
        // Either absent (set at deploy time) or encrypted by Pulumi.
        expect(
          value === undefined || (typeof value === "object" && value !== null && "secure" in value),
        ).toBe(true);
      }
    });
  }
});
