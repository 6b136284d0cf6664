/**
 * The root schema and the rules that span areas, the secrets a configuration
 * needs, and `validateStack`: the keys around the settings.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  DEFAULT_ESCALATION,
  ConfigError,
  checkSecrets,
  escalationTable,
  parseStackConfig,
  requiredSecrets,
  validateStack,
  type RawStackConfig,
} from "../../../infra/config/index";
import { RunError } from "@pulumi/pulumi/errors";
import { baseline, context, errorOf, keysOf, thrown, withChange } from "./fixtures";

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

describe("parseStackConfig: rules across areas", () => {
  it("requires an owner", () => {
    expect(keysOf(withChange((r) => delete r.owner))).toEqual(["runbooks:owner"]);
    expect(errorOf(withChange((r) => delete r.owner)).problems[0]!.message).toBe(
      "is required but not set",
    );
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

  it("requires github settings for backup storage unless the bucket is skipped", () => {
    expect(
      keysOf(
        withChange((r) => {
          delete r.github;
          r.features = { github: false };
        }),
      ),
    ).toEqual(["runbooks:features.github"]);
    expect(() =>
      parseStackConfig(
        withChange((r) => {
          delete r.github;
          r.features = { github: false };
          r.backup = { bucket: { mode: "skip" } };
        }),
        context,
      ),
    ).not.toThrow();
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
    expect(
      keysOf(withChange((r) => (r.github.secrets = [{ name: "DB", rotationRef: "nope" }]))),
    ).toEqual(["runbooks:github.secrets[0].rotationRef"]);
  });

  it("tells to remove an unknown top-level key, with the key it most likely meant", () => {
    const err = errorOf(withChange((r) => (r.featurs = { rls: true })));
    expect(err.problems).toEqual([
      {
        key: "runbooks:featurs",
        message: "is not a setting of this program; did you mean 'features'?",
        fix: "remove 'runbooks:featurs' from stacks/Pulumi.staging.yaml (or rename it to 'runbooks:features')",
      },
    ]);
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

  it("is a pulumi RunError, so the engine prints its message alone", () => {
    const err = errorOf(withChange((r) => delete r.owner));
    expect(RunError.isInstance(err)).toBe(true);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message.split("\n")).toEqual([
      "Invalid configuration for stack 'staging' (stacks/Pulumi.staging.yaml):",
      "  - runbooks:owner: is required but not set",
      `    fix: set it with: pulumi config set --path 'owner' <value> -s staging, or edit stacks/Pulumi.staging.yaml (see README "Configuration")`,
    ]);
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

describe("validateStack: the keys around the settings", () => {
  /** The local stack's settings: only the database secret is needed. */
  const local = {
    owner: "dev",
    features: {
      vercel: false,
      github: false,
      backupStorage: false,
      alerts: false,
      rls: true,
      backups: true,
      rotation: true,
    },
  };

  it("accepts the settings with their secret stored encrypted", () => {
    const { config, requirements } = validateStack(
      { plain: local, secret: ["databaseUrl"] },
      context,
      { requireSecrets: true },
    );
    expect(config.owner).toBe("dev");
    expect(requirements.map((r) => r.key)).toEqual(["databaseUrl"]);
  });

  it("refuses a named secret stored in plain text, without quoting it", () => {
    const value = "postgres://postgres:pl41n-pw@db.example.com/postgres";
    const err = thrown(() =>
      validateStack({ plain: { ...local, databaseUrl: value }, secret: [] }, context, {
        requireSecrets: false,
      }),
    );
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:databaseUrl"]);
    expect(err.problems[0]!.message).toContain("stored in plain text");
    expect(err.message).not.toContain("pl41n-pw");
  });

  it("requires a named secret only when asked to (the program, not commands)", () => {
    const values = { plain: local, secret: [] };
    expect(() => validateStack(values, context, { requireSecrets: false })).not.toThrow();
    const err = thrown(() => validateStack(values, context, { requireSecrets: true }));
    expect(err.problems[0]!.message).toBe(
      "secret is required by database.urlSecretRef (RLS, backups, rotation) but not set",
    );
  });

  it("tells to remove a plain key nothing names, suggesting the secret it most likely meant", () => {
    const err = thrown(() =>
      validateStack({ plain: { ...local, databaseURL: "x" }, secret: ["databaseUrl"] }, context, {
        requireSecrets: true,
      }),
    );
    expect(err.problems).toEqual([
      expect.objectContaining({
        key: "runbooks:databaseURL",
        message: "is not a setting of this program; did you mean 'databaseUrl'?",
      }),
    ]);
  });

  it("leaves encrypted keys nothing names alone", () => {
    expect(() =>
      validateStack({ plain: local, secret: ["databaseUrl", "spareKey"] }, context, {
        requireSecrets: true,
      }),
    ).not.toThrow();
  });

  it("refuses a setting stored encrypted: commands could not read it", () => {
    const err = thrown(() =>
      validateStack({ plain: local, secret: ["databaseUrl", "alerts"] }, context, {
        requireSecrets: true,
      }),
    );
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:alerts"]);
    expect(err.problems[0]!.fix).toContain("without --secret");
  });

  it("takes aws:region for an absent runbooks:aws, and runbooks:aws over it", () => {
    const values = { plain: local, secret: ["databaseUrl"], awsRegion: "eu-central-1" };
    const options = { requireSecrets: true };
    expect(validateStack(values, context, options).config.aws).toEqual({
      region: "eu-central-1",
      githubOidcProvider: "create",
    });
    const own = { ...values, plain: { ...local, aws: { region: "us-east-2" } } };
    expect(validateStack(own, context, options).config.aws?.region).toBe("us-east-2");
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
