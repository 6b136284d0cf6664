/**
 * `policy:review` — the policy pack's verdict on a stack without any cloud
 * account (pull requests from forks get none): the program runs under mocks
 * and every resource it registers goes through the pack's policy functions.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Finding } from "../infra/lib/findings";
import { POLICIES } from "../policies/policies";
import type { PackConfig, Violation } from "../policies/review/evaluate";
import { renderReport } from "../policies/review/report";
import { reviewStack } from "../policies/review/review";
import { defineCommand, UsageError, type ArgSpecs } from "./lib/command";
import { runAsMain } from "./lib/main";

const ARGS = {
  "config-file": {
    type: "string",
    valueHint: "path",
    description: "read the stack's settings from this file instead of stacks/Pulumi.<stack>.yaml",
  },
  "policy-config": {
    type: "string",
    valueHint: "path",
    description: "per-policy settings, as pulumi's --policy-pack-config takes them",
  },
  out: { type: "string", valueHint: "path", description: "also write the Markdown report here" },
} as const satisfies ArgSpecs;

/**
 * A mandatory violation keeps the policy's severity, at least medium, so it
 * always fails the command as it blocks a deploy; an advisory one is low (it
 * never blocks), with the policy's own severity in the details.
 */
export function violationFinding(v: Violation): Finding {
  const subject = v.resource ? `${v.resource.type} ${v.resource.name}` : "the stack";
  const mandatory = v.enforcementLevel === "mandatory";
  return {
    id: v.policyName,
    severity: mandatory ? (v.severity === "low" ? "medium" : v.severity) : "low",
    subject,
    message: v.message,
    fix: v.remediationSteps,
    details: [`${v.enforcementLevel}, severity ${v.severity}: ${v.description}`],
  };
}

export const policyReview = defineCommand({
  name: "policy:review",
  description: "Check a stack's resources against the policy pack, under mocks (no cloud account)",
  help:
    "Runs the stack's program under Pulumi mocks with its settings (secrets replaced by stand-ins)\n" +
    "and checks every registered resource with the policies in policies/. Prints a Markdown report:\n" +
    "violations grouped by severity, each with its resource, message and remediation. Mandatory\n" +
    "violations fail (exit 1); advisory ones are reported.",
  shared: ["stack", "json", "quiet"],
  args: ARGS,
  async run({ args, stack }) {
    if (!stack) throw new UsageError("which stack? pass -s <stack>");
    const packConfig = args["policy-config"]
      ? (JSON.parse(readFileSync(args["policy-config"], "utf8")) as PackConfig)
      : undefined;
    const result = await reviewStack({
      stack: stack.context.stack,
      configFile: args["config-file"],
      packConfig,
    });
    const rerun = `npm run policy:review -- -s ${stack.context.stack}${
      args["config-file"] ? ` --config-file ${args["config-file"]}` : ""
    }`;
    const report = renderReport(result, POLICIES.length, rerun);
    if (args.out) writeFileSync(args.out, report);
    return {
      findings: result.violations.map(violationFinding),
      report: { stack: result.stack, resources: result.resources.length, markdown: report },
      text: report.split("\n"),
    };
  },
});

runAsMain(module, policyReview);
