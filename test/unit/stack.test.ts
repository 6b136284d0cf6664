/**
 * deployStack as the program calls it: feature flags decide what exists,
 * "create / existing / skip" for the bucket, and a bad configuration fails
 * before any resource is declared.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it } from "vitest";
import {
  ConfigError,
  parseStackConfig,
  type LoadedStackConfig,
  type RawStackConfig,
} from "../../infra/config/index";
import { deployStack } from "../../infra/stack";
import { installMocks, resolve, settle, unwrap } from "../support/mocks/mocks";
import type { Loose } from "../support/mocks/fixtures";

const recorder = installMocks({ stack: "staging" });
const configContext = { stack: "staging", stackFile: "stacks/Pulumi.staging.yaml" };

beforeEach(() => recorder.reset());

function loaded(change?: (raw: Loose) => void): LoadedStackConfig {
  const raw: Loose = {
    owner: "platform-team",
    aws: { region: "eu-west-1" },
    vercel: {
      projectName: "acme-app",
      gitRepository: { repo: "acme/acme-app" },
      env: [{ key: "DATABASE_URL", targets: ["production"], rotationRef: "app-db-login" }],
    },
    github: { owner: "acme", repository: "acme-app", environments: [{ name: "staging" }] },
    backup: { prefix: "postgres/staging/", oidcEnvironment: "staging" },
    alerts: {
      healthCheck: { url: "https://staging.acme.example/api/health" },
      routes: { P0: { emails: ["oncall@acme.example"] }, P1: {}, P2: {}, P3: {} },
    },
    rotation: {
      gate: { url: "https://staging.acme.example/api/health" },
      credentials: [{ name: "app-db-login", kind: "postgres-login" }],
    },
  };
  change?.(raw);
  const parsed = parseStackConfig(raw as RawStackConfig, configContext);
  const secrets: Record<string, pulumi.Output<string>> = {
    databaseUrl: pulumi.secret("postgres://postgres:FAKE-admin-s3cr3t@db/postgres"),
    vercelApiToken: pulumi.secret("FAKE-vercel-token"),
  };
  return {
    ...parsed,
    stack: "staging",
    project: "runbooks",
    secrets,
    secret: (key) => {
      const value = secrets[key];
      if (!value) throw new Error(`secret ${key} not set`);
      return value;
    },
  };
}

const rotated = { "app-db-login": pulumi.secret("postgres://app_b:FAKE-rotated@db/postgres") };
const allOff = {
  vercel: false,
  github: false,
  backupStorage: false,
  alerts: false,
  rls: false,
  backups: false,
  rotation: false,
};

describe("deployStack", () => {
  it("declares nothing and exports nothing when every cloud feature is off", async () => {
    const outputs = deployStack(loaded((r) => (r.features = allOff)));
    await settle();
    expect(outputs).toMatchObject({ stack: "staging", owner: "platform-team" });
    for (const area of ["rls", "backupStorage", "alerts", "vercel", "github"] as const)
      expect(outputs[area]).toBeUndefined();
    expect(recorder.resources).toEqual([]);
  });

  it("fails with the config key before declaring anything when a rotated credential is missing", async () => {
    let error: unknown;
    try {
      // Without the rotation area nothing provides the credential the Vercel variable names.
      deployStack(
        loaded((r) => (r.features = { ...allOff, vercel: true })),
        { rotated: {} },
      );
    } catch (err) {
      error = err;
    }
    await settle();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.key)).toEqual([
      "runbooks:vercel.env[0].rotationRef",
    ]);
    expect(recorder.resources).toEqual([]);
  });

  it("uses an existing bucket without touching its settings, scoping the role to it", async () => {
    const outputs = deployStack(
      loaded((r) => (r.backup.bucket = { mode: "existing", name: "acme-shared-backups" })),
      { rotated },
    );
    await settle();
    expect(recorder.resources.filter((r) => r.type.startsWith("aws:s3/"))).toEqual([]);
    const access = JSON.parse(
      String(unwrap(recorder.named("backup-oidc-access").inputs.policy)),
    ) as { Statement: { Resource: string }[] };
    expect(access.Statement[0]!.Resource).toBe(
      "arn:aws:s3:::acme-shared-backups/postgres/staging/*",
    );
    expect(await resolve(outputs.backupStorage!.bucketName)).toBe("acme-shared-backups");
    expect(outputs.backupStorage?.managed).toBe(false);
  });

  it("skips backup storage, its role and the workflow's variables when the bucket mode is skip", async () => {
    const outputs = deployStack(
      loaded((r) => {
        r.backup.bucket = { mode: "skip" };
        // Without a bucket, the rotation audit log needs a file.
        r.rotation.audit = { file: ".local/rotation-audit.jsonl" };
      }),
      { rotated },
    );
    await settle();
    expect(
      recorder.resources.filter((r) => /^aws:(s3|kms|iam\/openIdConnect)/.test(r.type)),
    ).toEqual([]);
    expect(
      recorder.ofType("github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"),
    ).toEqual([]);
    expect(outputs.backupStorage).toBeUndefined();
    expect(outputs.github?.workflowFiles.paths).toEqual([
      ".github/workflows/runbooks-health-staging.yml",
    ]);
    // Backups still run (features.backups), so their freshness is still watched.
    expect(outputs.alerts?.backupAlarmName).toBeDefined();
  });

  it("gives the backup workflow its settings in the OIDC environment, the database URL as a secret", async () => {
    const outputs = deployStack(loaded(), { rotated });
    await settle();
    const vars = recorder.ofType(
      "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
    );
    expect(vars.map((v) => v.inputs.variableName).sort()).toEqual([
      "RUNBOOKS_AWS_REGION",
      "RUNBOOKS_BACKUP_BUCKET",
      "RUNBOOKS_BACKUP_KMS_KEY_ARN",
      "RUNBOOKS_BACKUP_PREFIX",
      "RUNBOOKS_BACKUP_ROLE_ARN",
    ]);
    const role = vars.find((v) => v.inputs.variableName === "RUNBOOKS_BACKUP_ROLE_ARN")!;
    expect(role.inputs.value).toBe(await resolve(outputs.backupStorage!.roleArn));
    expect(vars.every((v) => v.inputs.environment === "staging")).toBe(true);
    const db = recorder.one("github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret");
    expect(db.inputs).toMatchObject({
      secretName: "RUNBOOKS_DATABASE_URL",
      environment: "staging",
    });
    expect(unwrap(db.inputs.value)).toBe("postgres://postgres:FAKE-admin-s3cr3t@db/postgres");
  });

  it("creates only the areas whose flag is on", async () => {
    deployStack(loaded((r) => (r.features = { ...allOff, alerts: true })));
    await settle();
    const packages = new Set(
      recorder.resources
        .filter((r) => !r.type.startsWith("runbooks:"))
        .map((r) => r.type.split(":")[0]),
    );
    expect([...packages].sort()).toEqual(["aws", "pulumi"]);
    expect(recorder.ofType("aws:s3/bucket:Bucket")).toEqual([]);
    expect(recorder.ofType("aws:cloudwatch/metricAlarm:MetricAlarm")).toHaveLength(1);
  });
});
