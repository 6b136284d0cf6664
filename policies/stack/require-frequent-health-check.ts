import {
  asList,
  describe,
  known,
  knownString,
  refersTo,
  stackOfUrn,
  type RunbooksStackPolicy,
} from "../lib/policy";
import { AWS, managesAws } from "../lib/types";
import { alarmsOn, severityTopics } from "./alerting";

export interface HealthCheckConfig {
  /** Longest time from the site going down to the alarm firing. */
  maxDetectionSeconds: number;
  /** Severity the site-down alarm must page in a production stack. */
  severity: string;
  /** Stacks whose outage pages someone (elsewhere any severity will do). */
  productionStacks: string[];
}

/** "Is the site down?" must reach the on-call engineer within minutes, not whenever someone looks. */
export const requireFrequentHealthCheck: RunbooksStackPolicy = {
  name: "require-frequent-health-check",
  description:
    "A cloud stack has a site health check whose alarm fires within five minutes of an outage, and in production notifies the P0 topic.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Set runbooks:alerts.healthCheck (url, intervalSeconds 10 or 30, failureThreshold) with severity P0 in the stack file and turn on features.alerts.",
  tags: ["alerts", "aws"],
  configSchema: {
    properties: {
      maxDetectionSeconds: { type: "integer", minimum: 30, default: 300 },
      severity: { type: "string", default: "P0" },
      productionStacks: { type: "array", items: { type: "string" }, default: ["production"] },
    },
  },
  validateStack: (args, report) => {
    if (!managesAws(args.resources)) return;
    const { maxDetectionSeconds, severity, productionStacks } = args.getConfig<HealthCheckConfig>();
    const production = productionStacks.includes(stackOfUrn(args.resources[0]!.urn));
    const checks = args.resources.filter((r) =>
      (AWS.healthCheck as readonly string[]).includes(r.type),
    );
    if (checks.length === 0) {
      report(`the stack manages AWS resources but has no Route 53 health check of the site`);
      return;
    }
    const topics = severityTopics(args.resources, severity);
    const alarms = alarmsOn(args.resources, "AWS/Route53", "HealthCheckStatus");
    for (const check of checks) {
      const interval = known(() => check.props.requestInterval) ?? 30;
      const threshold = known(() => check.props.failureThreshold) ?? 3;
      const alarm = alarms.find(
        (a) =>
          refersTo(a, "dimensions", check) ||
          knownString(() => a.props.dimensions?.HealthCheckId) ===
            knownString(() => check.props.id),
      );
      if (!alarm) {
        report(
          `${describe(check)} has no CloudWatch alarm, so nobody is notified when it fails`,
          check.urn,
        );
        continue;
      }
      const period = Number(known(() => alarm.props.period) ?? 60);
      const periods = Number(known(() => alarm.props.evaluationPeriods) ?? 1);
      const detection = Number(interval) * Number(threshold) + period * periods;
      if (detection > maxDetectionSeconds)
        report(
          `${describe(check)} and ${describe(alarm)} take up to ${detection} s to notice an outage (limit ${maxDetectionSeconds} s)`,
          alarm.urn,
        );
      const actions = asList(known(() => alarm.props.alarmActions as string[]));
      if (!production) {
        if (actions.length === 0 && !alarm.propertyDependencies?.alarmActions?.length)
          report(`${describe(alarm)} notifies no topic`, alarm.urn);
        continue;
      }
      const paged = topics.some(
        (t) =>
          refersTo(alarm, "alarmActions", t) ||
          actions.includes(knownString(() => t.props.arn) ?? "-"),
      );
      if (!paged) report(`${describe(alarm)} does not notify the ${severity} topic`, alarm.urn);
    }
  },
};
