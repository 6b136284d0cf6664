/**
 * One SNS topic per severity, with the subscribers config names for it.
 *
 * Every alarm publishes to the topic of its severity, so "who gets woken up"
 * is decided once, here, from `alerts.routes`. Each topic carries its
 * severity's response time in its display name and tags, so a notification
 * says how fast to respond.
 *
 * CloudWatch alarms can only notify topics in their own region; the component
 * is therefore instantiated once per region that has alarms (the stack's
 * region, and us-east-1 for the Route 53 health-check alarm), with the
 * region's provider passed through `opts.providers`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Severity } from "../config/index";
import { severityTopicName } from "../lib/naming";
import { tags, type TagContext } from "../lib/tags";
import { policyJson } from "../lib/aws-iam";
import { severityTopicPolicy } from "./iam";
import type { SeverityPlan } from "./plan";

/** A subscriber endpoint whose URL is a secret (e.g. a PagerDuty or Opsgenie SNS integration URL). */
export interface WebhookSubscriber {
  /** The config key the URL came from; named in errors instead of the URL. */
  secretRef: string;
  /** The URL, as a Pulumi secret. */
  url: pulumi.Output<string>;
}

/** The webhook URL if it is https; otherwise an error naming the config key, never the URL. */
export function requireHttpsWebhook(url: string, secretRef: string, severity: Severity): string {
  if (!url.startsWith("https://")) {
    throw new Error(
      `runbooks:${secretRef} (alerts.routes.${severity}.webhookSecretRef) must be an https:// URL`,
    );
  }
  return url;
}

export interface SeverityTopicsArgs {
  /** Project, stack and owner: the source of every physical name and tag. */
  context: TagContext;
  /** The severities to create topics for, with their escalation row and e-mail subscribers. */
  severities: SeverityPlan[];
  /** Webhook subscribers per severity, resolved from secret config. */
  webhooks: Partial<Record<Severity, WebhookSubscriber>>;
  /** The AWS account id (topic policies allow only this account's alarms and budgets). */
  accountId: pulumi.Input<string>;
  /** ARN partition of the region. */
  partition: string;
  /** The severity whose topic AWS Budgets may publish to, if any in this region. */
  budgetSeverity?: Severity;
  /** Region label shown in the topic tags, e.g. `eu-west-1`. */
  region: string;
}

export class SeverityTopics extends pulumi.ComponentResource {
  /** Topic ARN per created severity. */
  readonly topicArns: Partial<Record<Severity, pulumi.Output<string>>>;

  private readonly args: SeverityTopicsArgs;

  constructor(name: string, args: SeverityTopicsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("runbooks:alerts:SeverityTopics", name, {}, opts);
    this.args = args;
    this.topicArns = {};
    for (const plan of args.severities) {
      const topic = this.createTopic(name, plan);
      this.restrictPublishers(name, plan, topic);
      this.subscribeEmails(name, plan, topic);
      this.subscribeWebhook(name, plan, topic);
      this.topicArns[plan.severity] = topic.arn;
    }
    this.registerOutputs({ topicArns: this.topicArns });
  }

  private createTopic(name: string, plan: SeverityPlan): aws.sns.Topic {
    return new aws.sns.Topic(
      `${name}-${plan.severity.toLowerCase()}`,
      {
        name: severityTopicName(this.args.context, plan.severity),
        displayName: plan.displayName,
        tags: tags(this.args.context, {
          severity: plan.severity,
          "respond-within-minutes": String(plan.respondWithinMinutes),
          region: this.args.region,
        }),
      },
      { parent: this },
    );
  }

  private restrictPublishers(name: string, plan: SeverityPlan, topic: aws.sns.Topic): void {
    const { partition } = this.args;
    const allowBudgets = this.args.budgetSeverity === plan.severity;
    new aws.sns.TopicPolicy(
      `${name}-${plan.severity.toLowerCase()}-policy`,
      {
        arn: topic.arn,
        policy: pulumi
          .all([topic.arn, this.args.accountId])
          .apply(([topicArn, accountId]) =>
            policyJson(severityTopicPolicy({ topicArn, accountId, partition, allowBudgets })),
          ),
      },
      { parent: this },
    );
  }

  private subscribeEmails(name: string, plan: SeverityPlan, topic: aws.sns.Topic): void {
    // Each address receives a confirmation mail from AWS and gets nothing until it confirms.
    plan.emails.forEach((email) => {
      new aws.sns.TopicSubscription(
        `${name}-${plan.severity.toLowerCase()}-email-${email}`,
        { topic: topic.arn, protocol: "email", endpoint: email },
        { parent: this },
      );
    });
  }

  private subscribeWebhook(name: string, plan: SeverityPlan, topic: aws.sns.Topic): void {
    const webhook = this.args.webhooks[plan.severity];
    if (!webhook) return;
    const checked = webhook.url.apply((url) =>
      requireHttpsWebhook(url, webhook.secretRef, plan.severity),
    );
    new aws.sns.TopicSubscription(
      `${name}-${plan.severity.toLowerCase()}-webhook`,
      { topic: topic.arn, protocol: "https", endpoint: pulumi.secret(checked) },
      { parent: this, additionalSecretOutputs: ["endpoint"] },
    );
  }
}
