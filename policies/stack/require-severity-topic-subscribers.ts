import { describe, refersTo, tagOf, type RunbooksStackPolicy } from "../lib/policy";
import { AWS } from "../lib/types";
import { severityTopics } from "./alerting";

/** An alarm that publishes to a topic nobody subscribes to pages no one. */
export const requireSeverityTopicSubscribers: RunbooksStackPolicy = {
  name: "require-severity-topic-subscribers",
  description:
    "Every severity topic has at least one subscriber: an e-mail, a webhook or a Slack channel.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Add emails, webhookSecretRef or chatbot under runbooks:alerts.routes.<severity> in the stack file.",
  tags: ["alerts", "aws"],
  validateStack: ({ resources }, report) => {
    for (const topic of severityTopics(resources)) {
      const subscribed =
        resources.some(
          (r) =>
            (AWS.topicSubscription as readonly string[]).includes(r.type) &&
            refersTo(r, "topic", topic),
        ) ||
        resources.some(
          (r) =>
            (AWS.slackChannel as readonly string[]).includes(r.type) &&
            refersTo(r, "snsTopicArns", topic),
        );
      if (!subscribed)
        report(`${describe(topic)} (${tagOf(topic, "severity")}) has no subscriber`, topic.urn);
    }
  },
};
