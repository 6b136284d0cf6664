/**
 * "Is the site up?": a Route 53 HTTPS health check of the app's health
 * endpoint, and a CloudWatch alarm on it that notifies the severity topic.
 *
 * Route 53 publishes health-check metrics only in us-east-1, so the alarm —
 * and the topic it notifies, since alarms only notify topics in their own
 * region — must live there whatever the stack's region. Pass the us-east-1
 * provider through `opts.providers`; the component refuses to guess.
 *
 * Route 53 checks from several regions every 10 or 30 seconds; notification
 * still takes a few minutes end to end (check, metric, alarm, SNS delivery),
 * which is why the alarm uses one-minute periods and a single breaching one.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Severity } from "../config/index";
import { alarmName } from "../lib/naming";
import { tags, type TagContext } from "../lib/tags";
import { respondWithinText, type HealthCheckTarget } from "./plan";

export interface HealthCheckAlarmArgs {
  /** Project, stack and owner: the source of every physical name and tag. */
  context: TagContext;
  /** Host, port and path Route 53 requests. */
  target: HealthCheckTarget;
  /** The full URL, for descriptions. */
  url: string;
  /** Seconds between checks from each checker (10 or 30). */
  intervalSeconds: number;
  /** Consecutive failures before a checker calls the endpoint unhealthy. */
  failureThreshold: number;
  /** Severity of "the site is down". */
  severity: Severity;
  /** Response time of that severity, shown in the alarm description. */
  respondWithinMinutes: number;
  /** ARN of the severity topic in us-east-1. */
  topicArn: pulumi.Input<string>;
}

export class HealthCheckAlarm extends pulumi.ComponentResource {
  /** The Route 53 health check id. */
  readonly healthCheckId: pulumi.Output<string>;
  /** The alarm's name. */
  readonly alarmName: pulumi.Output<string>;
  /** The alarm's ARN. */
  readonly alarmArn: pulumi.Output<string>;

  private readonly args: HealthCheckAlarmArgs;

  constructor(name: string, args: HealthCheckAlarmArgs, opts?: pulumi.ComponentResourceOptions) {
    super("runbooks:alerts:HealthCheckAlarm", name, {}, opts);
    this.args = args;
    const check = this.createHealthCheck(name);
    const alarm = this.createAlarm(name, check);
    this.healthCheckId = check.id;
    this.alarmName = alarm.name;
    this.alarmArn = alarm.arn;
    this.registerOutputs({
      healthCheckId: this.healthCheckId,
      alarmName: this.alarmName,
      alarmArn: this.alarmArn,
    });
  }

  private createHealthCheck(name: string): aws.route53.HealthCheck {
    const { target, context } = this.args;
    return new aws.route53.HealthCheck(
      `${name}-check`,
      {
        type: "HTTPS",
        fqdn: target.fqdn,
        port: target.port,
        resourcePath: target.resourcePath,
        enableSni: true,
        requestInterval: this.args.intervalSeconds,
        failureThreshold: this.args.failureThreshold,
        measureLatency: true,
        tags: tags(context, {
          Name: alarmName(context, "app-health"),
          severity: this.args.severity,
        }),
      },
      { parent: this },
    );
  }

  private createAlarm(name: string, check: aws.route53.HealthCheck): aws.cloudwatch.MetricAlarm {
    const { context, severity, url } = this.args;
    return new aws.cloudwatch.MetricAlarm(
      `${name}-alarm`,
      {
        name: alarmName(context, "app-down"),
        alarmDescription:
          `${severity} (respond ${respondWithinText(this.args.respondWithinMinutes)}): ${url} is failing Route 53 health checks. ` +
          `Runbook: "Site down" in the README.`,
        namespace: "AWS/Route53",
        metricName: "HealthCheckStatus",
        dimensions: { HealthCheckId: check.id },
        // 1 = healthy, 0 = unhealthy; the minimum over a minute catches any unhealthy report.
        statistic: "Minimum",
        period: 60,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        comparisonOperator: "LessThanThreshold",
        threshold: 1,
        // No data means no checker reported: treat it as down rather than as fine.
        treatMissingData: "breaching",
        alarmActions: [this.args.topicArn],
        okActions: [this.args.topicArn],
        tags: tags(context, { severity }),
      },
      { parent: this },
    );
  }
}
