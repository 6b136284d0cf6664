import { asList, describe, isSet, known, type RunbooksStackPolicy } from "../lib/policy";
import { AWS, managesAws } from "../lib/types";

interface Notification {
  subscriberSnsTopicArns?: unknown[];
  subscriberEmailAddresses?: unknown[];
}

/** A runaway bill is an incident too; a budget without a notification is a number nobody sees. */
export const requireBudgetNotifications: RunbooksStackPolicy = {
  name: "require-budget-notifications",
  description: "A cloud stack has at least one AWS budget, and every budget notifies someone.",
  enforcementLevel: "mandatory",
  severity: "medium",
  remediationSteps:
    "Declare runbooks:budgets with at least one threshold, and route runbooks:alerts.budgetSeverity to a severity with subscribers.",
  tags: ["alerts", "aws", "cost"],
  validateStack: ({ resources }, report) => {
    if (!managesAws(resources)) return;
    const budgets = resources.filter((r) => (AWS.budget as readonly string[]).includes(r.type));
    if (budgets.length === 0) report("the stack manages AWS resources but has no cost budget");
    for (const budget of budgets) {
      const notifications = asList(known(() => budget.props.notifications as Notification[]));
      const notifying = notifications.filter(
        (n) =>
          asList(known(() => n.subscriberSnsTopicArns)).length > 0 ||
          asList(known(() => n.subscriberEmailAddresses)).length > 0 ||
          // A topic ARN not known yet during preview still counts as a subscriber.
          (known(() => n.subscriberSnsTopicArns) === undefined &&
            isSet(() => n.subscriberSnsTopicArns)),
      );
      if (notifying.length === 0)
        report(`${describe(budget)} has no notification with a subscriber`, budget.urn);
    }
  },
};
