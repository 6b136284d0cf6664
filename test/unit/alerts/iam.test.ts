/** Alerting's policy documents as plain JSON: who may publish to a severity topic. */
import { describe, expect, it } from "vitest";
import { chatbotTrustPolicy, severityTopicPolicy } from "../../../infra/alerts/iam";
import { policyJson, type PolicyDocument, type PolicyStatement } from "../../../infra/lib/aws-iam";

/** Round-trip through JSON, as the provider receives it. */
function parsed(doc: PolicyDocument): PolicyDocument {
  return JSON.parse(policyJson(doc)) as PolicyDocument;
}

function statement(doc: PolicyDocument, sid: string): PolicyStatement {
  const found = doc.Statement.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid}`);
  return found;
}

describe("severity topic policy", () => {
  const args = {
    topicArn: "arn:aws:sns:eu-west-1:123456789012:runbooks-production-p2",
    accountId: "123456789012",
    partition: "aws",
  };

  it("lets AWS Budgets publish to the budget topic, on behalf of this account only", () => {
    const doc = parsed(severityTopicPolicy({ ...args, allowBudgets: true }));
    const budgets = statement(doc, "BudgetsPublish");
    expect(budgets).toMatchObject({
      Effect: "Allow",
      Principal: { Service: "budgets.amazonaws.com" },
      Action: "sns:Publish",
      Resource: args.topicArn,
    });
    expect(budgets.Condition).toEqual({
      StringEquals: { "aws:SourceAccount": "123456789012" },
      ArnLike: { "aws:SourceArn": "arn:aws:budgets::123456789012:*" },
    });
  });

  it("does not let Budgets publish to other topics, but lets this account's alarms publish everywhere", () => {
    const doc = parsed(severityTopicPolicy({ ...args, allowBudgets: false }));
    expect(doc.Statement.map((s) => s.Sid)).toEqual([
      "AccountOwnerAccess",
      "CloudWatchAlarmsPublish",
    ]);
    expect(statement(doc, "CloudWatchAlarmsPublish").Condition?.StringEquals).toEqual({
      "aws:SourceAccount": "123456789012",
    });
    expect(statement(doc, "AccountOwnerAccess").Principal).toEqual({
      AWS: "arn:aws:iam::123456789012:root",
    });
  });
});

describe("chatbot role", () => {
  it("lets only AWS Chatbot, for this account, assume the Chatbot role", () => {
    const s = parsed(chatbotTrustPolicy("123456789012")).Statement[0]!;
    expect(s.Principal).toEqual({ Service: "chatbot.amazonaws.com" });
    expect(s.Condition).toEqual({ StringEquals: { "aws:SourceAccount": "123456789012" } });
  });
});
