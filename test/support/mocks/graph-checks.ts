/**
 * Checks every shipped stack's full platform graph must pass. Each stack has
 * its own test file (mock state is per process) that calls `buildStackGraph`
 * and then `describeGraphInvariants`.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { loadStackConfig, type LoadedStackConfig } from "../../../infra/config/index";
import { REQUIRED_TAG_KEYS } from "../../../infra/lib/tags";
import { deployStack, type StackOutputs } from "../../../infra/stack";
import {
  FAKE_ROTATED_DB_URL,
  acceptsTags,
  installMocks,
  isWrappedSecret,
  regionOfProvider,
  resolve,
  settle,
  stripSecrets,
  unwrap,
  type MockRecorder,
} from "./mocks";
import { setStackConfig } from "./stack-config";

export { FAKE_ROTATED_DB_URL } from "./mocks";

export interface StackGraph {
  recorder: MockRecorder;
  config: LoadedStackConfig;
  outputs: StackOutputs;
  /** Every fake secret plaintext given to the program. */
  secretValues: string[];
  /** Fake secret plaintext by config key. */
  secrets: Record<string, string>;
}

/** Set up mocks and config for a stack; the graph is built in `beforeAll`. */
export function buildStackGraph(stack: string): () => StackGraph {
  const recorder = installMocks({ project: "runbooks", stack });
  let graph: StackGraph | undefined;
  beforeAll(async () => {
    const { secrets } = setStackConfig(stack);
    const config = loadStackConfig();
    const rotated = Object.fromEntries(
      config.rotation.credentials.map((c) => [c.name, pulumi.secret(FAKE_ROTATED_DB_URL)]),
    );
    const outputs = deployStack(config, { rotated });
    await settle();
    graph = {
      recorder,
      config,
      outputs,
      secrets,
      secretValues: [...Object.values(secrets), FAKE_ROTATED_DB_URL],
    };
  });
  return () => {
    if (!graph) throw new Error("the stack graph was not built");
    return graph;
  };
}

function stringInput(value: unknown): string {
  const v = unwrap(value);
  if (typeof v !== "string") throw new Error(`expected a string input, got ${JSON.stringify(v)}`);
  return v;
}

export function describeGraphInvariants(stack: string, graph: () => StackGraph): void {
  describe(`stack '${stack}': the full platform graph`, () => {
    it("declares every component of the four cloud areas", () => {
      const { recorder } = graph();
      const componentTypes = new Set(
        recorder.resources.filter((r) => r.type.startsWith("runbooks:")).map((r) => r.type),
      );
      expect([...componentTypes].sort()).toEqual(
        expect.arrayContaining([
          "runbooks:alerts:Alerting",
          "runbooks:alerts:BackupFreshnessAlarm",
          "runbooks:alerts:CostBudgets",
          "runbooks:alerts:HealthCheckAlarm",
          "runbooks:alerts:SeverityTopics",
          "runbooks:aws:BackupBucket",
          "runbooks:aws:GithubOidcRole",
          "runbooks:github:GithubActionsSettings",
          "runbooks:vercel:VercelApp",
        ]),
      );
    });

    it("tags every resource whose provider accepts tags with project, stack, owner and managed-by", () => {
      const { recorder, config } = graph();
      const taggable = recorder.resources.filter(
        (r) =>
          !r.type.startsWith("runbooks:") &&
          !r.type.startsWith("pulumi:") &&
          // This project's dynamic resources (RLS tables, backup jobs) have no tags.
          !r.type.startsWith("pulumi-nodejs:dynamic/") &&
          acceptsTags(r.type),
      );
      expect(taggable.length).toBeGreaterThan(10);
      for (const r of taggable) {
        const tags = unwrap(r.inputs.tags) as Record<string, string> | undefined;
        expect(tags, `${r.type} ${r.name} has no tags`).toBeDefined();
        expect(Object.keys(tags!), `${r.type} ${r.name}`).toEqual(
          expect.arrayContaining([...REQUIRED_TAG_KEYS]),
        );
        expect(tags).toMatchObject({ project: "runbooks", stack, owner: config.owner });
      }
    });

    it("never stores a secret plaintext outside a secret-wrapped value", () => {
      const { recorder, secretValues } = graph();
      const plain = JSON.stringify(recorder.resources.map((r) => stripSecrets(r.inputs)));
      for (const secret of secretValues)
        expect(plain.includes(secret), "a secret leaked into plain inputs").toBe(false);
      // The check has teeth: the secrets are in the graph, wrapped.
      const everything = JSON.stringify(recorder.resources.map((r) => r.inputs));
      expect(secretValues.filter((s) => everything.includes(s)).length).toBeGreaterThan(1);
    });

    it("keeps stack outputs free of secret plaintext", async () => {
      const { outputs, secretValues } = graph();
      const resolved = await resolve(pulumi.output(outputs as Record<string, unknown>));
      const text = JSON.stringify(resolved);
      for (const secret of secretValues) expect(text.includes(secret)).toBe(false);
    });

    it("makes every Vercel variable that comes from a secret sensitive, and its value a secret", () => {
      const { recorder, config, secrets } = graph();
      const vars = recorder.ofType(
        "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable",
      );
      expect(vars).toHaveLength(config.vercel!.env.length);
      for (const entry of config.vercel!.env) {
        const matching = vars.filter(
          (v) =>
            v.inputs.key === entry.key &&
            JSON.stringify(v.inputs.targets) === JSON.stringify([...entry.targets].sort()),
        );
        expect(matching, `${entry.key} ${entry.targets.join(",")}`).toHaveLength(1);
        const v = matching[0]!;
        const fromSecret = entry.secretRef !== undefined || entry.rotationRef !== undefined;
        expect(v.inputs.sensitive).toBe(fromSecret);
        // The Vercel SDK stores every value as a Pulumi secret, plain ones included.
        expect(isWrappedSecret(v.inputs.value)).toBe(true);
        if (!fromSecret) expect(unwrap(v.inputs.value)).toBe(entry.value);
        if (entry.secretRef) expect(unwrap(v.inputs.value)).toBe(secrets[entry.secretRef]);
        if (entry.rotationRef) expect(unwrap(v.inputs.value)).toBe(FAKE_ROTATED_DB_URL);
      }
      expect(vars.some((v) => v.inputs.sensitive === true)).toBe(true);
    });

    it("puts no secret into a GitHub variable, and every GitHub secret through the plaintext value field, wrapped", () => {
      const { recorder, secretValues } = graph();
      const variables = [
        ...recorder.ofType("github:index/actionsVariable:ActionsVariable"),
        ...recorder.ofType("github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"),
      ];
      expect(variables.length).toBeGreaterThan(0);
      for (const v of variables) {
        expect(isWrappedSecret(v.inputs.value), `${v.name} is a secret in a variable`).toBe(false);
        for (const secret of secretValues) expect(String(v.inputs.value)).not.toContain(secret);
      }
      const secrets = [
        ...recorder.ofType("github:index/actionsSecret:ActionsSecret"),
        ...recorder.ofType("github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"),
      ];
      expect(secrets.length).toBeGreaterThan(0);
      for (const s of secrets) {
        expect(isWrappedSecret(s.inputs.value), `${s.name}`).toBe(true);
        expect(s.inputs.plaintextValue).toBeUndefined();
        expect(s.inputs.encryptedValue).toBeUndefined();
      }
    });

    it("trusts exactly this repository's environment in the OIDC role, without wildcards", () => {
      const { recorder, config } = graph();
      const role = recorder.resources.find(
        (r) => r.type === "aws:iam/role:Role" && r.name === "backup-oidc-role",
      )!;
      const trust = JSON.parse(stringInput(role.inputs.assumeRolePolicy)) as {
        Statement: { Condition: { StringEquals: Record<string, string> } }[];
      };
      const conditions = trust.Statement[0]!.Condition.StringEquals;
      expect(conditions["token.actions.githubusercontent.com:sub"]).toBe(
        `repo:${config.github!.owner}/${config.github!.repository}:environment:${config.backup.oidcEnvironment}`,
      );
      expect(conditions["token.actions.githubusercontent.com:aud"]).toBe("sts.amazonaws.com");
      expect(JSON.stringify(trust)).not.toContain("*");
    });

    it("puts the health-check alarm and its topic in us-east-1 and everything else in the stack's region", () => {
      const { recorder, config } = graph();
      const alarms = recorder.ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
      const health = alarms.find((a) => a.inputs.namespace === "AWS/Route53")!;
      expect(regionOfProvider(health.provider)).toBe("us-east-1");
      const [topicArn] = health.inputs.alarmActions as string[];
      expect(topicArn).toMatch(/^arn:aws:sns:us-east-1:/);
      expect(topicArn).toContain(`-${config.alerts!.healthCheck.severity.toLowerCase()}`);
      const others = recorder.resources.filter(
        (r) => r.type.startsWith("aws:") && r !== health && !r.type.startsWith("aws:route53/"),
      );
      const inUsEast1 = others.filter((r) => regionOfProvider(r.provider) === "us-east-1");
      // Only the health severity's topic (with its policy and subscriptions) lives in us-east-1.
      for (const r of inUsEast1) expect(r.type).toMatch(/^aws:sns\//);
      for (const r of others.filter((o) => !inUsEast1.includes(o)))
        expect(regionOfProvider(r.provider), `${r.type} ${r.name}`).toBe(config.aws!.region);
    });

    it("exports the documented outputs", async () => {
      const { outputs } = graph();
      const resolved = (await resolve(pulumi.output(outputs as Record<string, unknown>))) as Record<
        string,
        unknown
      >;
      const documented: Record<string, string[]> = {
        vercel: ["projectId", "projectName", "env"],
        github: ["repository", "environments", "secrets", "variables", "workflowFiles"],
        backupStorage: ["bucketName", "bucketArn", "kmsKeyArn", "roleArn", "githubOidcProviderArn"],
        alerts: [
          "topicArns",
          "healthCheckId",
          "healthAlarmName",
          "backupAlarmName",
          "budgetNames",
          "backupMetric",
        ],
      };
      for (const [area, keys] of Object.entries(documented)) {
        const values = resolved[area] as Record<string, unknown> | undefined;
        for (const key of keys) expect(values?.[key], `${area}.${key}`).toBeDefined();
      }
      const alerts = resolved.alerts as { topicArns: object };
      expect(Object.keys(alerts.topicArns).sort()).toEqual(["P0", "P1", "P2", "P3"]);
    });
  });
}
