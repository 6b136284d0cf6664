/**
 * The alerts area: a topic per severity (P0–P3) with its subscribers, the
 * site-down health check, the backup-freshness alarm and the cost budgets.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { LoadedStackConfig, Severity } from "../config/index";
import type { AwsProviders } from "../lib/aws-providers";
import type { StackPlan } from "../plan";
import { Alerting } from "./alerting";
import { BACKUP_METRIC, ROUTE53_METRICS_REGION } from "./plan";
import type { WebhookSubscriber } from "./severity-topics";

export interface AlertsDeps {
  plan: StackPlan;
  aws?: AwsProviders;
}

/** Stack outputs of the area (names and ARNs, never a webhook URL). */
export interface AlertsOutputs {
  topicArns: Record<Severity, pulumi.Output<string>>;
  healthCheckId: pulumi.Output<string>;
  healthAlarmName: pulumi.Output<string>;
  /** Route 53 publishes health-check metrics only in us-east-1, so the alarm lives there. */
  healthAlarmRegion: string;
  backupAlarmName?: pulumi.Output<string>;
  /** The metric a successful backup publishes, which the freshness alarm watches. */
  backupMetric?: { namespace: string; metricName: string; dimensions: Record<string, string> };
  budgetNames: pulumi.Output<string>[];
}

export function deployAlerts(
  config: LoadedStackConfig,
  { plan, aws }: AlertsDeps,
): AlertsOutputs | undefined {
  const alerting = plan.alerting;
  if (!alerting || !aws) return undefined;
  const webhooks: Partial<Record<Severity, WebhookSubscriber>> = {};
  for (const s of alerting.severities) {
    if (s.webhookSecretRef)
      webhooks[s.severity] = {
        secretRef: s.webhookSecretRef,
        url: config.secret(s.webhookSecretRef),
      };
  }
  const component = new Alerting("alerts", {
    context: { project: config.project, stack: config.stack, owner: config.owner },
    plan: alerting,
    webhooks,
    accountId: aws.accountId,
    partition: aws.partition,
    region: aws.region,
    regionalProvider: aws.regional,
    usEast1Provider: aws.usEast1,
  });
  return {
    topicArns: component.topicArns,
    healthCheckId: component.health.healthCheckId,
    healthAlarmName: component.health.alarmName,
    healthAlarmRegion: ROUTE53_METRICS_REGION,
    backupAlarmName: component.freshness?.alarmName,
    backupMetric: component.freshness
      ? {
          namespace: BACKUP_METRIC.namespace,
          metricName: BACKUP_METRIC.metricName,
          dimensions: { [BACKUP_METRIC.dimension]: config.stack },
        }
      : undefined,
    budgetNames: component.budgets.budgetNames,
  };
}
