/**
 * Slack delivery through AWS Chatbot: one channel configuration per severity
 * that routes to Slack, subscribed to that severity's topics (in every region
 * that has one), and the IAM role Chatbot uses to read alarm details.
 *
 * The Slack workspace must be authorized once in the AWS Chatbot console
 * before the first `pulumi up` (AWS offers no API for that OAuth step).
 * Chatbot's guardrail is read-only CloudWatch access, so nobody can run
 * changing commands from Slack through it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Severity } from "../config/index";
import { chatbotConfigurationName, chatbotRoleName } from "../lib/naming";
import { tags, type TagContext } from "../lib/tags";
import { policyJson } from "../lib/aws-iam";
import { chatbotReadPolicy, chatbotTrustPolicy } from "./iam";

export interface SlackChannelRoute {
  /** Severity whose alerts go to this channel. */
  severity: Severity;
  /** Slack workspace id, e.g. `T0123ABCD`. */
  slackTeamId: string;
  /** Slack channel id, e.g. `C0123ABCD`. */
  slackChannelId: string;
  /** Every topic of this severity (one per region with alarms). */
  topicArns: pulumi.Input<string>[];
}

export interface SlackChatbotArgs {
  /** Project, stack and owner: the source of every physical name and tag. */
  context: TagContext;
  /** The AWS account id (the role trusts Chatbot only on behalf of this account). */
  accountId: pulumi.Input<string>;
  /** ARN partition of the stack's region. */
  partition: string;
  /** One entry per severity routed to Slack. */
  routes: SlackChannelRoute[];
}

export class SlackChatbot extends pulumi.ComponentResource {
  /** ARN of the role Chatbot assumes. */
  readonly roleArn: pulumi.Output<string>;
  /** Configuration ARN per severity. */
  readonly configurationArns: Partial<Record<Severity, pulumi.Output<string>>>;

  private readonly args: SlackChatbotArgs;

  constructor(name: string, args: SlackChatbotArgs, opts?: pulumi.ComponentResourceOptions) {
    super("runbooks:alerts:SlackChatbot", name, {}, opts);
    this.args = args;
    const role = this.createRole(name);
    this.roleArn = role.arn;
    this.configurationArns = {};
    for (const route of args.routes) {
      this.configurationArns[route.severity] = this.createChannel(
        name,
        route,
        role,
      ).chatConfigurationArn;
    }
    this.registerOutputs({ roleArn: this.roleArn, configurationArns: this.configurationArns });
  }

  private createRole(name: string): aws.iam.Role {
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        name: chatbotRoleName(this.args.context),
        assumeRolePolicy: pulumi
          .output(this.args.accountId)
          .apply((accountId) => policyJson(chatbotTrustPolicy(accountId))),
        tags: tags(this.args.context, { purpose: "alerts" }),
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-read`,
      { role: role.id, policy: policyJson(chatbotReadPolicy()) },
      { parent: this },
    );
    return role;
  }

  private createChannel(
    name: string,
    route: SlackChannelRoute,
    role: aws.iam.Role,
  ): aws.chatbot.SlackChannelConfiguration {
    return new aws.chatbot.SlackChannelConfiguration(
      `${name}-${route.severity.toLowerCase()}`,
      {
        configurationName: chatbotConfigurationName(this.args.context, route.severity),
        iamRoleArn: role.arn,
        slackTeamId: route.slackTeamId,
        slackChannelId: route.slackChannelId,
        snsTopicArns: route.topicArns,
        guardrailPolicyArns: [
          `arn:${this.args.partition}:iam::aws:policy/CloudWatchReadOnlyAccess`,
        ],
        loggingLevel: "ERROR",
        userAuthorizationRequired: true,
        tags: tags(this.args.context, { severity: route.severity }),
      },
      { parent: this },
    );
  }
}
