/**
 * Alerting, component by component: severity topics with their escalation
 * data, routing of each alarm to its severity, the us-east-1 placement of the
 * health-check alarm, the freshness alarm's missing-data rule, budgets.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it } from "vitest";
import { parseStackConfig, type RawStackConfig } from "../../../infra/config/index";
import { Alerting } from "../../../infra/alerts/alerting";
import { planAlerting, type AlertingPlan } from "../../../infra/alerts/plan";
import { requireHttpsWebhook } from "../../../infra/alerts/severity-topics";
import type { PolicyDocument } from "../../../infra/lib/aws-iam";
import {
  ACCOUNT_ID,
  installMocks,
  isWrappedSecret,
  regionOfProvider,
  resolve,
  settle,
  unwrap,
} from "../../support/mocks/mocks";
import type { Loose } from "../../support/mocks/fixtures";

const recorder = installMocks({ stack: "production" });
const context = { project: "runbooks", stack: "production", owner: "platform-team" };
const configContext = { stack: "production", stackFile: "stacks/Pulumi.production.yaml" };
const WEBHOOK = "https://events.fake.example/integration/FAKE-webhook-s3cr3t";
let counter = 0;

beforeEach(() => recorder.reset());

function plan(change?: (raw: Loose) => void): AlertingPlan {
  const raw: Loose = {
    owner: "platform-team",
    aws: { region: "eu-west-1" },
    features: {
      vercel: false,
      github: false,
      backupStorage: false,
      alerts: true,
      rls: false,
      backups: true,
      rotation: false,
    },
    alerts: {
      healthCheck: {
        url: "https://app.acme.example/api/health",
        intervalSeconds: 10,
        failureThreshold: 3,
        severity: "P0",
      },
      routes: {
        P0: {
          emails: ["oncall@acme.example"],
          webhookSecretRef: "pagerWebhookUrl",
          chatbot: { slackTeamId: "T0ACME", slackChannelId: "C0INC" },
        },
        P1: { emails: ["oncall@acme.example"] },
        P2: { emails: ["platform@acme.example"] },
        P3: {},
      },
      backupSeverity: "P1",
      budgetSeverity: "P2",
    },
    budgets: [
      {
        name: "monthly",
        monthlyLimitUsd: 400,
        thresholds: [
          { percent: 80, type: "ACTUAL" },
          { percent: 100, type: "FORECASTED" },
        ],
      },
    ],
    backup: { maxAgeHours: 26 },
  };
  change?.(raw);
  const config = parseStackConfig(raw as RawStackConfig, configContext);
  return planAlerting(
    {
      alerts: config.alerts!,
      budgets: config.budgets,
      backupMaxAgeHours: config.backup.maxAgeHours,
      backupsWatched: true,
    },
    configContext,
  );
}

async function deploy(p: AlertingPlan, region = "eu-west-1") {
  const n = ++counter;
  const regional = new aws.Provider(`aws-${region}`, { region });
  const usEast1 =
    region === "us-east-1" ? regional : new aws.Provider("aws-us-east-1", { region: "us-east-1" });
  const alerting = new Alerting(`alerts${n}`, {
    context,
    plan: p,
    webhooks: { P0: { secretRef: "pagerWebhookUrl", url: pulumi.secret(WEBHOOK) } },
    accountId: ACCOUNT_ID,
    partition: "aws",
    region,
    regionalProvider: regional,
    usEast1Provider: usEast1,
  });
  await settle();
  return { alerting, name: `alerts${n}` };
}

const topics = () => recorder.ofType("aws:sns/topic:Topic");
const alarmByNamespace = (ns: string) =>
  recorder.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").find((a) => a.inputs.namespace === ns)!;

describe("severity topics", () => {
  it("creates one topic per severity carrying its response time in display name and tags", async () => {
    await deploy(plan());
    const regional = topics().filter((t) => regionOfProvider(t.provider) === "eu-west-1");
    expect(
      regional.map((t) => [
        t.inputs.name,
        t.inputs.displayName,
        (t.inputs.tags as Record<string, string>)["respond-within-minutes"],
      ]),
    ).toEqual([
      ["runbooks-production-p0", "P0 - respond immediately", "0"],
      ["runbooks-production-p1", "P1 - respond within 1 h", "60"],
      ["runbooks-production-p2", "P2 - respond within 4 h", "240"],
      ["runbooks-production-p3", "P3 - respond within 24 h", "1440"],
    ]);
  });

  it("subscribes each severity's e-mails and its secret webhook, keeping the webhook URL secret", async () => {
    const { name } = await deploy(plan());
    const subs = recorder.ofType("aws:sns/topicSubscription:TopicSubscription");
    const email = (sev: string) =>
      subs
        .filter((s) => s.name.startsWith(`${name}-topics-${sev}-email`))
        .map((s) => s.inputs.endpoint);
    expect(email("p0")).toEqual(["oncall@acme.example"]);
    expect(email("p2")).toEqual(["platform@acme.example"]);
    expect(email("p3")).toEqual([]);
    const webhook = recorder.named(`${name}-topics-p0-webhook`);
    expect(webhook.inputs.protocol).toBe("https");
    expect(isWrappedSecret(webhook.inputs.endpoint)).toBe(true);
    expect(unwrap(webhook.inputs.endpoint)).toBe(WEBHOOK);
  });

  it("lets AWS Budgets publish only to the budget severity's topic", async () => {
    await deploy(plan());
    const policies = recorder.ofType("aws:sns/topicPolicy:TopicPolicy");
    const withBudgets = policies.filter((p) =>
      (JSON.parse(String(p.inputs.policy)) as PolicyDocument).Statement.some((s) =>
        JSON.stringify(s.Principal).includes("budgets.amazonaws.com"),
      ),
    );
    expect(withBudgets.map((p) => p.inputs.arn)).toEqual([
      `arn:aws:sns:eu-west-1:${ACCOUNT_ID}:runbooks-production-p2`,
    ]);
  });

  it("refuses a webhook URL that is not https, naming the config key and not the URL", () => {
    const bad = "http://insecure.fake.example/FAKE-hook";
    expect(() => requireHttpsWebhook(bad, "pagerWebhookUrl", "P0")).toThrow(
      /^runbooks:pagerWebhookUrl \(alerts\.routes\.P0\.webhookSecretRef\) must be an https:\/\/ URL$/,
    );
    expect(requireHttpsWebhook(WEBHOOK, "pagerWebhookUrl", "P0")).toBe(WEBHOOK);
  });
});

describe("alarm routing", () => {
  it("puts the health check's alarm and topic in us-east-1 and routes it to the health severity there", async () => {
    const { name } = await deploy(plan());
    const alarm = alarmByNamespace("AWS/Route53");
    expect(regionOfProvider(alarm.provider)).toBe("us-east-1");
    const usEast1Topic = recorder.named(`${name}-topics-us-east-1-p0`);
    expect(regionOfProvider(usEast1Topic.provider)).toBe("us-east-1");
    expect(alarm.inputs.alarmActions).toEqual([usEast1Topic.state.arn]);
    expect(alarm.inputs.okActions).toEqual([usEast1Topic.state.arn]);
    // Subscribers of the severity are duplicated on the us-east-1 topic.
    expect(recorder.named(`${name}-topics-us-east-1-p0-webhook`).provider).toBe(
      usEast1Topic.provider,
    );
  });

  it("checks the health URL over HTTPS at the configured interval and counts missing data as down", async () => {
    const { alerting } = await deploy(plan());
    const check = recorder.one("aws:route53/healthCheck:HealthCheck");
    expect(check.inputs).toMatchObject({
      type: "HTTPS",
      fqdn: "app.acme.example",
      port: 443,
      resourcePath: "/api/health",
      requestInterval: 10,
      failureThreshold: 3,
      enableSni: true,
    });
    const alarm = alarmByNamespace("AWS/Route53");
    expect(alarm.inputs).toMatchObject({
      metricName: "HealthCheckStatus",
      dimensions: { HealthCheckId: check.id },
      statistic: "Minimum",
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      treatMissingData: "breaching",
    });
    expect(await resolve(alerting.health.healthCheckId)).toBe(check.id);
  });

  it("routes each alarm to the topic of its configured severity", async () => {
    await deploy(
      plan((r) => ((r.alerts.healthCheck.severity = "P1"), (r.alerts.backupSeverity = "P3"))),
    );
    const health = alarmByNamespace("AWS/Route53");
    expect(health.inputs.alarmActions).toEqual([
      `arn:aws:sns:us-east-1:${ACCOUNT_ID}:runbooks-production-p1`,
    ]);
    const backup = alarmByNamespace("Runbooks/Backups");
    expect(backup.inputs.alarmActions).toEqual([
      `arn:aws:sns:eu-west-1:${ACCOUNT_ID}:runbooks-production-p3`,
    ]);
    expect(regionOfProvider(backup.provider)).toBe("eu-west-1");
  });

  it("alarms when no backup succeeded for maxAgeHours, counting missing data as breaching", async () => {
    await deploy(plan());
    const alarm = alarmByNamespace("Runbooks/Backups");
    expect(alarm.inputs).toMatchObject({
      metricName: "LastSuccessTimestamp",
      dimensions: { Stack: "production" },
      statistic: "SampleCount",
      period: 3600,
      evaluationPeriods: 26,
      datapointsToAlarm: 26,
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      treatMissingData: "breaching",
    });
    expect(String(alarm.inputs.alarmDescription)).toContain("for 26 hours");
  });

  it("reuses the regional topics when the stack itself is in us-east-1", async () => {
    await deploy(plan(), "us-east-1");
    expect(topics()).toHaveLength(4);
    expect(alarmByNamespace("AWS/Route53").inputs.alarmActions).toEqual([
      `arn:aws:sns:us-east-1:${ACCOUNT_ID}:runbooks-production-p0`,
    ]);
  });
});

describe("budgets and Slack", () => {
  it("creates AWS Budgets for aws budgets only: a vercel budget is cost:guard's to watch", () => {
    const p = plan((raw) => {
      (raw.budgets as unknown[]).push({
        name: "vercel-team",
        provider: "vercel",
        monthlyLimitUsd: 50,
      });
    });
    expect(p.budgets.map((b) => b.configName)).toEqual(["monthly"]);
  });

  it("sets a monthly cost budget notifying the budget severity at each actual and forecast threshold", async () => {
    await deploy(plan());
    const budget = recorder.one("aws:budgets/budget:Budget");
    expect(budget.inputs).toMatchObject({
      name: "runbooks-production-monthly",
      budgetType: "COST",
      timeUnit: "MONTHLY",
      limitAmount: "400.00",
      limitUnit: "USD",
    });
    const topic = `arn:aws:sns:eu-west-1:${ACCOUNT_ID}:runbooks-production-p2`;
    expect(budget.inputs.notifications).toEqual([
      {
        comparisonOperator: "GREATER_THAN",
        notificationType: "ACTUAL",
        threshold: 80,
        thresholdType: "PERCENTAGE",
        subscriberSnsTopicArns: [topic],
      },
      {
        comparisonOperator: "GREATER_THAN",
        notificationType: "FORECASTED",
        threshold: 100,
        thresholdType: "PERCENTAGE",
        subscriberSnsTopicArns: [topic],
      },
    ]);
  });

  it("routes Slack severities through AWS Chatbot with a read-only guardrail, subscribed in both regions", async () => {
    await deploy(plan());
    const channel = recorder.one("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration");
    expect(channel.inputs).toMatchObject({
      slackTeamId: "T0ACME",
      slackChannelId: "C0INC",
      guardrailPolicyArns: ["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"],
      userAuthorizationRequired: true,
    });
    expect((channel.inputs.snsTopicArns as string[]).sort()).toEqual([
      `arn:aws:sns:eu-west-1:${ACCOUNT_ID}:runbooks-production-p0`,
      `arn:aws:sns:us-east-1:${ACCOUNT_ID}:runbooks-production-p0`,
    ]);
    const role = recorder.ofType("aws:iam/role:Role").find((r) => r.name.endsWith("-slack-role"))!;
    expect(channel.inputs.iamRoleArn).toBe(role.state.arn);
  });

  it("creates no Chatbot resources when no severity routes to Slack", async () => {
    await deploy(plan((r) => delete r.alerts.routes.P0.chatbot));
    expect(
      recorder.resources.filter(
        (r) => r.type.startsWith("aws:chatbot/") || r.name.includes("-slack"),
      ),
    ).toEqual([]);
  });
});
