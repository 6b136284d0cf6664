/** Finding the alerting resources the stack policies reason about. */
import type { PolicyResource } from "@pulumi/policy";
import { asList, known, knownString, tagOf } from "../lib/policy";
import { AWS } from "../lib/types";

const isType = (types: readonly string[]) => (r: PolicyResource) => types.includes(r.type);

/** SNS topics of a severity (tagged `severity: Px` by the alerts area). */
export function severityTopics(
  resources: readonly PolicyResource[],
  severity?: string,
): PolicyResource[] {
  return resources.filter(
    (r) =>
      isType(AWS.topic)(r) &&
      tagOf(r, "severity") !== undefined &&
      (severity === undefined || tagOf(r, "severity") === severity),
  );
}

/** CloudWatch alarms on one metric. */
export function alarmsOn(
  resources: readonly PolicyResource[],
  namespace: string,
  metricName: string,
): PolicyResource[] {
  return resources.filter(
    (r) =>
      isType(AWS.metricAlarm)(r) &&
      knownString(() => r.props.namespace) === namespace &&
      knownString(() => r.props.metricName) === metricName,
  );
}

/** Number of alarm actions (they may be unknown ARNs during preview; they still count). */
export function actionCount(alarm: PolicyResource): number {
  const deps = alarm.propertyDependencies?.alarmActions?.length ?? 0;
  return Math.max(deps, asList(known(() => alarm.props.alarmActions as unknown[])).length);
}
