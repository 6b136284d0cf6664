/**
 * Alerting decided from config without Pulumi: where the health check points,
 * how the backup-freshness alarm counts, what each budget notifies, and the
 * checks the config schema cannot make alone.
 */
import { duplicates } from "../lib/unique";
import {
  CONFIG_NAMESPACE,
  ConfigError,
  escalationTable,
  type AlertsConfig,
  type BudgetConfig,
  type ConfigContext,
  type Severity,
} from "../config/index";

import { BACKUP_METRIC } from "./backup-metric";

export { BACKUP_METRIC };

/** Route 53 publishes health-check metrics only in us-east-1. */
export const ROUTE53_METRICS_REGION = "us-east-1";

/** The runbook requires the app to be checked at least this often. */
export const MAX_CHECK_INTERVAL_SECONDS = 300;

/** CloudWatch: period × evaluation periods may not exceed 7 days. */
const MAX_ALARM_WINDOW_HOURS = 7 * 24;

/** AWS Budgets accepts at most five notifications per budget. */
export const MAX_BUDGET_NOTIFICATIONS = 5;

export interface HealthCheckTarget {
  fqdn: string;
  port: number;
  /** Path and query, as Route 53 requests it. */
  resourcePath: string;
}

export interface FreshnessAlarmPlan {
  metric: typeof BACKUP_METRIC;
  statistic: "SampleCount";
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  comparisonOperator: "LessThanThreshold";
  threshold: number;
  treatMissingData: "breaching";
}

export interface BudgetNotificationPlan {
  comparisonOperator: "GREATER_THAN";
  notificationType: "ACTUAL" | "FORECASTED";
  threshold: number;
  thresholdType: "PERCENTAGE";
}

export interface BudgetPlan {
  configName: string;
  limitUsd: number;
  notifications: BudgetNotificationPlan[];
}

export interface SeverityPlan {
  severity: Severity;
  respondWithinMinutes: number;
  meaning: string;
  displayName: string;
  emails: string[];
  webhookSecretRef?: string;
  chatbot?: { slackTeamId: string; slackChannelId: string };
}

export interface AlertingPlan {
  severities: SeverityPlan[];
  health: HealthCheckTarget & {
    url: string;
    intervalSeconds: number;
    failureThreshold: number;
    severity: Severity;
  };
  /** Present when backups run and need watching. */
  freshness?: FreshnessAlarmPlan & { severity: Severity; maxAgeHours: number };
  budgets: BudgetPlan[];
  budgetSeverity: Severity;
}

/** "immediately", "within 45 min", "within 4 h". */
export function respondWithinText(minutes: number): string {
  if (minutes === 0) return "immediately";
  if (minutes % 60 === 0) return `within ${minutes / 60} h`;
  return `within ${minutes} min`;
}

/** SNS display names are at most 100 characters. */
export function topicDisplayName(severity: Severity, respondWithinMinutes: number): string {
  return `${severity} - respond ${respondWithinText(respondWithinMinutes)}`.slice(0, 100);
}

export function healthCheckTarget(url: string): HealthCheckTarget {
  const parsed = new URL(url);
  if (parsed.protocol !== "https:") throw new Error("must use https://");
  const host = parsed.hostname;
  if (
    host === "localhost" ||
    host.startsWith("127.") ||
    host === "[::1]" ||
    /^\d+\.\d+\.\d+\.\d+$/.test(host)
  ) {
    throw new Error("must name a public host (Route 53 checks it from the internet)");
  }
  const resourcePath = `${parsed.pathname || "/"}${parsed.search}`;
  if (resourcePath.length > 255)
    throw new Error("path and query must be at most 255 characters (Route 53 limit)");
  return { fqdn: host, port: parsed.port ? Number(parsed.port) : 443, resourcePath };
}

/**
 * Alarm when no success was published for `maxAgeHours`: hourly periods, each
 * breaching unless it holds a success sample (missing data counts as
 * breaching), and the alarm fires when all of the last N hours breach. A job
 * that never ran at all therefore alarms too.
 */
export function backupFreshnessPlan(maxAgeHours: number): FreshnessAlarmPlan {
  const hours = Math.ceil(maxAgeHours);
  if (hours > MAX_ALARM_WINDOW_HOURS) {
    throw new Error(
      `must be at most ${MAX_ALARM_WINDOW_HOURS} hours (CloudWatch alarms look back 7 days at most)`,
    );
  }
  return {
    metric: BACKUP_METRIC,
    statistic: "SampleCount",
    periodSeconds: 3600,
    evaluationPeriods: hours,
    datapointsToAlarm: hours,
    comparisonOperator: "LessThanThreshold",
    threshold: 1,
    treatMissingData: "breaching",
  };
}

export function budgetNotifications(budget: BudgetConfig): BudgetNotificationPlan[] {
  return budget.thresholds.map((t) => ({
    comparisonOperator: "GREATER_THAN",
    notificationType: t.type,
    threshold: t.percent,
    thresholdType: "PERCENTAGE",
  }));
}

/**
 * Decide the alerting. `backupsWatched` says whether any backup job runs for
 * this stack (then its freshness must be alarmed). Throws a `ConfigError`
 * naming each offending key.
 */
export function planAlerting(
  input: {
    alerts: AlertsConfig;
    budgets: BudgetConfig[];
    backupMaxAgeHours: number;
    backupsWatched: boolean;
  },
  context: ConfigContext,
): AlertingPlan {
  const problems: ConfigError["problems"] = [];
  const { alerts } = input;
  const editAlerts = `edit '${CONFIG_NAMESPACE}:alerts' in ${context.stackFile}`;

  let target: HealthCheckTarget | undefined;
  try {
    target = healthCheckTarget(alerts.healthCheck.url);
  } catch (err) {
    problems.push({
      key: `${CONFIG_NAMESPACE}:alerts.healthCheck.url`,
      message: (err as Error).message,
      fix: `${editAlerts}: e.g. https://app.example.com/api/health`,
    });
  }
  if (alerts.healthCheck.intervalSeconds > MAX_CHECK_INTERVAL_SECONDS) {
    problems.push({
      key: `${CONFIG_NAMESPACE}:alerts.healthCheck.intervalSeconds`,
      message: `the runbook requires a check at least every ${MAX_CHECK_INTERVAL_SECONDS / 60} minutes`,
      fix: `${editAlerts}: use 10 or 30`,
    });
  }

  let freshness: FreshnessAlarmPlan | undefined;
  if (input.backupsWatched) {
    try {
      freshness = backupFreshnessPlan(input.backupMaxAgeHours);
    } catch (err) {
      problems.push({
        key: `${CONFIG_NAMESPACE}:backup.maxAgeHours`,
        message: (err as Error).message,
        fix: `edit '${CONFIG_NAMESPACE}:backup' in ${context.stackFile}`,
      });
    }
  }

  const editBudgets = `edit '${CONFIG_NAMESPACE}:budgets' in ${context.stackFile}`;
  const repeatedNames = new Map(duplicates(input.budgets, (b) => b.name).map((d) => [d.index, d]));
  input.budgets.forEach((b, i) => {
    if (repeatedNames.has(i)) {
      problems.push({
        key: `${CONFIG_NAMESPACE}:budgets[${i}].name`,
        message: `duplicate budget name '${b.name}'`,
        fix: `${editBudgets}: give each budget its own name`,
      });
    }
    if (b.thresholds.length > MAX_BUDGET_NOTIFICATIONS) {
      problems.push({
        key: `${CONFIG_NAMESPACE}:budgets[${i}].thresholds`,
        message: `has ${b.thresholds.length} thresholds; AWS Budgets allows at most ${MAX_BUDGET_NOTIFICATIONS} notifications per budget`,
        fix: `${editBudgets}: keep at most ${MAX_BUDGET_NOTIFICATIONS}, or split into two budgets`,
      });
    }
    for (const dup of duplicates(b.thresholds, (t) => `${t.type}:${t.percent}`)) {
      const t = b.thresholds[dup.index]!;
      problems.push({
        key: `${CONFIG_NAMESPACE}:budgets[${i}].thresholds[${dup.index}]`,
        message: `duplicate ${t.type} threshold at ${t.percent}%`,
        fix: `${editBudgets}: remove the duplicate`,
      });
    }
  });
  if (problems.length > 0) throw new ConfigError(context, problems);

  const severities = escalationTable(alerts).map((row): SeverityPlan => {
    const route = alerts.routes[row.severity] ?? { emails: [] };
    return {
      severity: row.severity,
      respondWithinMinutes: row.respondWithinMinutes,
      meaning: row.meaning,
      displayName: topicDisplayName(row.severity, row.respondWithinMinutes),
      emails: route.emails,
      webhookSecretRef: route.webhookSecretRef,
      chatbot: route.chatbot,
    };
  });
  return {
    severities,
    health: {
      ...target!,
      url: alerts.healthCheck.url,
      intervalSeconds: alerts.healthCheck.intervalSeconds,
      failureThreshold: alerts.healthCheck.failureThreshold,
      severity: alerts.healthCheck.severity,
    },
    freshness: freshness
      ? { ...freshness, severity: alerts.backupSeverity, maxAgeHours: input.backupMaxAgeHours }
      : undefined,
    // Vercel budgets are watched by cost:guard; AWS Budgets can only see AWS spend.
    budgets: input.budgets
      .filter((b) => b.provider === "aws")
      .map((b) => ({
        configName: b.name,
        limitUsd: b.monthlyLimitUsd,
        notifications: budgetNotifications(b),
      })),
    budgetSeverity: alerts.budgetSeverity,
  };
}
