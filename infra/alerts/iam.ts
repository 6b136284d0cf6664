/**
 * Alerting's policy documents: who may publish to a severity topic, and the
 * AWS Chatbot role's trust and read access.
 */
import type { PolicyDocument, PolicyStatement } from "../lib/aws-iam";

/**
 * A severity topic's policy. A topic policy replaces SNS's default, so the
 * account's own access is restated; CloudWatch alarms and (for the cost topic)
 * AWS Budgets may publish, each only on behalf of this account.
 */
export function severityTopicPolicy(args: {
  topicArn: string;
  accountId: string;
  partition: string;
  allowBudgets: boolean;
}): PolicyDocument {
  const statements: PolicyStatement[] = [
    {
      Sid: "AccountOwnerAccess",
      Effect: "Allow",
      Principal: { AWS: `arn:${args.partition}:iam::${args.accountId}:root` },
      Action: [
        "sns:GetTopicAttributes",
        "sns:SetTopicAttributes",
        "sns:AddPermission",
        "sns:RemovePermission",
        "sns:DeleteTopic",
        "sns:Subscribe",
        "sns:ListSubscriptionsByTopic",
        "sns:Publish",
      ],
      Resource: args.topicArn,
    },
    {
      Sid: "CloudWatchAlarmsPublish",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: "sns:Publish",
      Resource: args.topicArn,
      Condition: {
        StringEquals: { "aws:SourceAccount": args.accountId },
        ArnLike: {
          "aws:SourceArn": `arn:${args.partition}:cloudwatch:*:${args.accountId}:alarm:*`,
        },
      },
    },
  ];
  if (args.allowBudgets) {
    statements.push({
      Sid: "BudgetsPublish",
      Effect: "Allow",
      Principal: { Service: "budgets.amazonaws.com" },
      Action: "sns:Publish",
      Resource: args.topicArn,
      Condition: {
        StringEquals: { "aws:SourceAccount": args.accountId },
        ArnLike: { "aws:SourceArn": `arn:${args.partition}:budgets::${args.accountId}:*` },
      },
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

/** Trust policy for the role AWS Chatbot uses to read alarm details it posts to Slack. */
export function chatbotTrustPolicy(accountId: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ChatbotAssume",
        Effect: "Allow",
        Principal: { Service: "chatbot.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  };
}

/** Read-only access to alarm and metric details: enough for Chatbot's notification cards. */
export function chatbotReadPolicy(): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadAlarmsForNotifications",
        Effect: "Allow",
        Action: [
          "cloudwatch:DescribeAlarms",
          "cloudwatch:DescribeAlarmHistory",
          "cloudwatch:GetMetricData",
          "cloudwatch:GetMetricStatistics",
        ],
        Resource: "*",
      },
    ],
  };
}
