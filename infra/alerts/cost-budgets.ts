/**
 * Monthly AWS cost budgets that notify the cost severity's topic when actual
 * or forecast spend crosses each threshold.
 *
 * A budget only notifies: it never stops spend, so an overspend is a page to
 * a person, not an automatic shutdown. The topic must allow budgets.amazonaws.com to publish; the
 * SeverityTopics component adds that statement to the budget severity's topic.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { budgetName } from "../lib/naming";
import { tags, type TagContext } from "../lib/tags";
import type { BudgetPlan } from "./plan";

export interface CostBudgetsArgs {
  /** Project, stack and owner: the source of every physical name and tag. */
  context: TagContext;
  /** One entry per budget from `runbooks:budgets`. */
  budgets: BudgetPlan[];
  /** ARN of the budget severity's topic. */
  topicArn: pulumi.Input<string>;
}

export class CostBudgets extends pulumi.ComponentResource {
  /** Physical budget names, in config order. */
  readonly budgetNames: pulumi.Output<string>[];

  constructor(name: string, args: CostBudgetsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("runbooks:alerts:CostBudgets", name, {}, opts);
    this.budgetNames = args.budgets.map(
      (budget) => CostBudgets.createBudget(name, budget, args, this).name,
    );
    this.registerOutputs({ budgetNames: this.budgetNames });
  }

  private static createBudget(
    name: string,
    budget: BudgetPlan,
    args: CostBudgetsArgs,
    parent: pulumi.Resource,
  ): aws.budgets.Budget {
    return new aws.budgets.Budget(
      `${name}-${budget.configName}`,
      {
        name: budgetName(args.context, budget.configName),
        budgetType: "COST",
        timeUnit: "MONTHLY",
        limitAmount: budget.limitUsd.toFixed(2),
        limitUnit: "USD",
        notifications: budget.notifications.map((n) => ({
          ...n,
          subscriberSnsTopicArns: [args.topicArn],
        })),
        tags: tags(args.context, { budget: budget.configName }),
      },
      { parent },
    );
  }
}
