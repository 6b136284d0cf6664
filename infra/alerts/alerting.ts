/**
 * All alerting for one stack: severity topics, the site-down health check,
 * the backup-freshness alarm, cost budgets and Slack delivery, each alarm
 * routed to its severity's topic.
 *
 * Two AWS providers are passed explicitly: the stack's region for most
 * resources, and us-east-1 for the Route 53 health-check alarm and the topic
 * it notifies (Route 53 metrics exist only there, and an alarm can only
 * notify a topic in its own region). When the stack itself runs in us-east-1
 * the regional topics are reused.
 */
import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Severity } from "../config/index";
import type { TagContext } from "../lib/tags";
import { BackupFreshnessAlarm } from "./backup-freshness";
import { CostBudgets } from "./cost-budgets";
import { HealthCheckAlarm } from "./health-check";
import { ROUTE53_METRICS_REGION, type AlertingPlan, type SeverityPlan } from "./plan";
import { SeverityTopics, type WebhookSubscriber } from "./severity-topics";
import { SlackChatbot } from "./slack-chatbot";

export interface AlertingArgs {
  /** Project, stack and owner: the source of every physical name and tag. */
  context: TagContext;
  /** What to create (see `planAlerting`). */
  plan: AlertingPlan;
  /** Webhook subscribers per severity, resolved from secret config. */
  webhooks: Partial<Record<Severity, WebhookSubscriber>>;
  /** The AWS account id. */
  accountId: pulumi.Input<string>;
  /** ARN partition of the stack's region. */
  partition: string;
  /** The stack's region. */
  region: string;
  /** Provider for the stack's region. */
  regionalProvider: aws.Provider;
  /** Provider for us-east-1 (health-check alarm and its topic). */
  usEast1Provider: aws.Provider;
}

export class Alerting extends pulumi.ComponentResource {
  /** Topic ARN per severity in the stack's region. */
  readonly topicArns: Record<Severity, pulumi.Output<string>>;
  /** Topic ARN per severity in us-east-1 (only the health check's severity, unless the stack is in us-east-1). */
  readonly usEast1TopicArns: Partial<Record<Severity, pulumi.Output<string>>>;
  /** The site-down check and alarm. */
  readonly health: HealthCheckAlarm;
  /** The stale-backup alarm, when backups are watched. */
  readonly freshness?: BackupFreshnessAlarm;
  /** The cost budgets. */
  readonly budgets: CostBudgets;
  /** Slack delivery, when any severity routes to Slack. */
  readonly chatbot?: SlackChatbot;

  private readonly args: AlertingArgs;

  constructor(name: string, args: AlertingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("runbooks:alerts:Alerting", name, {}, opts);
    this.args = args;

    const regional = this.createRegionalTopics(name);
    const usEast1 = this.createUsEast1Topics(name, regional);
    this.topicArns = regional.topicArns as Record<Severity, pulumi.Output<string>>;
    this.usEast1TopicArns = usEast1.topicArns;
    this.health = this.createHealthCheck(name, usEast1);
    this.freshness = this.createFreshnessAlarm(name);
    this.budgets = this.createBudgets(name);
    this.chatbot = this.routeToSlack(name);

    this.registerOutputs({
      topicArns: this.topicArns,
      usEast1TopicArns: this.usEast1TopicArns,
      healthCheckId: this.health.healthCheckId,
      healthAlarmName: this.health.alarmName,
      backupAlarmName: this.freshness?.alarmName,
      budgetNames: this.budgets.budgetNames,
    });
  }

  private severityPlan(severity: Severity): SeverityPlan {
    const plan = this.args.plan.severities.find((s) => s.severity === severity);
    if (!plan) throw new Error(`internal: no escalation row for ${severity}`);
    return plan;
  }

  private createRegionalTopics(name: string): SeverityTopics {
    const { args } = this;
    return new SeverityTopics(
      `${name}-topics`,
      {
        context: args.context,
        severities: args.plan.severities,
        webhooks: args.webhooks,
        accountId: args.accountId,
        partition: args.partition,
        budgetSeverity: args.plan.budgetSeverity,
        region: args.region,
      },
      { parent: this, providers: [args.regionalProvider] },
    );
  }

  private createUsEast1Topics(name: string, regional: SeverityTopics): SeverityTopics {
    const { args } = this;
    if (args.region === ROUTE53_METRICS_REGION) return regional;
    const severity = args.plan.health.severity;
    return new SeverityTopics(
      `${name}-topics-${ROUTE53_METRICS_REGION}`,
      {
        context: args.context,
        severities: [this.severityPlan(severity)],
        webhooks: args.webhooks[severity] ? { [severity]: args.webhooks[severity] } : {},
        accountId: args.accountId,
        partition: args.partition,
        region: ROUTE53_METRICS_REGION,
      },
      { parent: this, providers: [args.usEast1Provider] },
    );
  }

  private createHealthCheck(name: string, usEast1: SeverityTopics): HealthCheckAlarm {
    const { plan, context } = this.args;
    const severity = plan.health.severity;
    const topicArn = usEast1.topicArns[severity];
    if (!topicArn) throw new Error(`internal: no ${ROUTE53_METRICS_REGION} topic for ${severity}`);
    return new HealthCheckAlarm(
      `${name}-health`,
      {
        context,
        target: plan.health,
        url: plan.health.url,
        intervalSeconds: plan.health.intervalSeconds,
        failureThreshold: plan.health.failureThreshold,
        severity,
        respondWithinMinutes: this.severityPlan(severity).respondWithinMinutes,
        topicArn,
      },
      { parent: this, providers: [this.args.usEast1Provider] },
    );
  }

  private createFreshnessAlarm(name: string): BackupFreshnessAlarm | undefined {
    const { plan, context } = this.args;
    if (!plan.freshness) return undefined;
    const severity = plan.freshness.severity;
    return new BackupFreshnessAlarm(
      `${name}-backup-freshness`,
      {
        context,
        plan: plan.freshness,
        maxAgeHours: plan.freshness.maxAgeHours,
        severity,
        respondWithinMinutes: this.severityPlan(severity).respondWithinMinutes,
        topicArn: this.topicArns[severity],
      },
      { parent: this, providers: [this.args.regionalProvider] },
    );
  }

  private createBudgets(name: string): CostBudgets {
    const { plan, context } = this.args;
    return new CostBudgets(
      `${name}-budgets`,
      { context, budgets: plan.budgets, topicArn: this.topicArns[plan.budgetSeverity] },
      { parent: this, providers: [this.args.regionalProvider] },
    );
  }

  private routeToSlack(name: string): SlackChatbot | undefined {
    const routes = this.args.plan.severities.flatMap((s) => {
      if (!s.chatbot) return [];
      const topicArns = [this.topicArns[s.severity], this.usEast1TopicArns[s.severity]].filter(
        (arn, i, all): arn is pulumi.Output<string> => arn !== undefined && all.indexOf(arn) === i,
      );
      return [{ severity: s.severity, ...s.chatbot, topicArns }];
    });
    if (routes.length === 0) return undefined;
    return new SlackChatbot(
      `${name}-slack`,
      {
        context: this.args.context,
        accountId: this.args.accountId,
        partition: this.args.partition,
        routes,
      },
      { parent: this, providers: [this.args.regionalProvider] },
    );
  }
}
