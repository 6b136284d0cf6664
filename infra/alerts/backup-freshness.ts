/**
 * "Did a backup succeed recently?": an alarm on the metric the backup job
 * publishes after each successful upload.
 *
 * Backups that fail silently for days are the classic failure: teams have
 * found out only when they needed a restore. The alarm therefore watches for the *absence* of success, not for
 * an error: missing data breaches, so a job that crashes before publishing, is
 * disabled, or never ran at all raises the alarm just the same.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Severity } from "../config/index";
import { alarmName } from "../lib/naming";
import { tags, type TagContext } from "../lib/tags";
import { respondWithinText, type FreshnessAlarmPlan } from "./plan";

export interface BackupFreshnessAlarmArgs {
  /** Project, stack and owner: the source of every physical name and tag. */
  context: TagContext;
  /** Metric, periods and threshold (see `backupFreshnessPlan`). */
  plan: FreshnessAlarmPlan;
  /** Hours without a success before it is an incident, for the description. */
  maxAgeHours: number;
  /** Severity of a stale backup. */
  severity: Severity;
  /** Response time of that severity. */
  respondWithinMinutes: number;
  /** ARN of the severity topic, in the alarm's region. */
  topicArn: pulumi.Input<string>;
}

export class BackupFreshnessAlarm extends pulumi.ComponentResource {
  /** The alarm's name. */
  readonly alarmName: pulumi.Output<string>;
  /** The alarm's ARN. */
  readonly alarmArn: pulumi.Output<string>;

  constructor(
    name: string,
    args: BackupFreshnessAlarmArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("runbooks:alerts:BackupFreshnessAlarm", name, {}, opts);
    const alarm = BackupFreshnessAlarm.createAlarm(name, args, this);
    this.alarmName = alarm.name;
    this.alarmArn = alarm.arn;
    this.registerOutputs({ alarmName: this.alarmName, alarmArn: this.alarmArn });
  }

  private static createAlarm(
    name: string,
    args: BackupFreshnessAlarmArgs,
    parent: pulumi.Resource,
  ): aws.cloudwatch.MetricAlarm {
    const { plan, context } = args;
    return new aws.cloudwatch.MetricAlarm(
      `${name}-alarm`,
      {
        name: alarmName(context, "backup-stale"),
        alarmDescription:
          `${args.severity} (respond ${respondWithinText(args.respondWithinMinutes)}): no successful database backup of stack ` +
          `'${context.stack}' for ${args.maxAgeHours} hours. Runbook: "Backups" in the README.`,
        namespace: plan.metric.namespace,
        metricName: plan.metric.metricName,
        dimensions: { [plan.metric.dimension]: context.stack },
        statistic: plan.statistic,
        period: plan.periodSeconds,
        evaluationPeriods: plan.evaluationPeriods,
        datapointsToAlarm: plan.datapointsToAlarm,
        comparisonOperator: plan.comparisonOperator,
        threshold: plan.threshold,
        treatMissingData: plan.treatMissingData,
        alarmActions: [args.topicArn],
        okActions: [args.topicArn],
        tags: tags(context, { severity: args.severity }),
      },
      { parent },
    );
  }
}
