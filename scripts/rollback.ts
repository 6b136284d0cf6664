/**
 * `rollback` — the runbook's `vercel ls` and `vercel rollback`: list recent
 * production deployments, roll production back to the previous one (or a
 * chosen one), wait until it serves, then run the health check.
 */
import type { FetchLike } from "../infra/checks/health";
import { renderHealthHeader } from "../infra/checks/health";
import { HealthInputError, runHealthCheck } from "../infra/checks/health-run";
import {
  DeploymentsError,
  listProductionDeployments,
  renderDeployments,
  type ProductionDeployments,
} from "../infra/deploys/deployments";
import {
  executeRollback,
  planRollback,
  RollbackPlanError,
  type RollbackOutcome,
  type RollbackPlan,
} from "../infra/deploys/rollback";
import { vercelClient } from "../infra/deploys/vercel-client";
import type { Finding } from "../infra/lib/findings";
import { formatDuration } from "../infra/lib/format";
import { sleep as wait } from "../infra/lib/retry";
import { LocalServicesError } from "../infra/local/endpoints";
import { resolveVercelAccess, VendorAccessError } from "../infra/vercel/api-access";
import { defineCommand, UsageError, type ArgSpecs } from "./lib/command";
import { runAsMain } from "./lib/main";

const ARGS = {
  project: {
    type: "string",
    valueHint: "id|name",
    description: "the Vercel project (default: runbooks:vercel.projectName of --stack)",
  },
  list: { type: "boolean", description: "only list recent production deployments (vercel ls)" },
  to: {
    type: "string",
    valueHint: "id|url",
    description: "roll back to this deployment (default: the previous production deployment)",
  },
  "dry-run": { type: "boolean", description: "say what would be rolled back, change nothing" },
  limit: {
    type: "number",
    valueHint: "n",
    description: "production deployments to list and choose from",
    default: 10,
    min: 2,
    max: 100,
    integer: true,
  },
  wait: {
    type: "number",
    valueHint: "s",
    description: "how long to wait for production to serve the target",
    default: 120,
    min: 1,
    max: 1800,
    integer: true,
  },
  url: {
    type: "string",
    valueHint: "url",
    description: "health URL to check afterwards (default: alerts.healthCheck.url of --stack)",
  },
  reason: {
    type: "string",
    valueHint: "text",
    description: "why, recorded with the rollback in Vercel",
  },
} as const satisfies ArgSpecs;

export interface RollbackDeps {
  sleep: (ms: number) => Promise<void>;
  fetch: FetchLike;
  tlsCa: string | Buffer;
  /** Between status polls (ms); default 1000. */
  pollMs: number;
  /** How long the retries of one Vercel call may take (ms); default 20 s. */
  retryForMs: number;
}

export interface RollbackReport {
  deployments: ProductionDeployments;
  plan?: RollbackPlan;
  dryRun?: boolean;
  outcome?: RollbackOutcome;
  health?: unknown;
}

function planFinding(plan: RollbackPlan, verb: "would roll back" | "rolled back"): Finding {
  return {
    id: "roll-back-production",
    severity: "info",
    subject: `Vercel project ${plan.project.name}`,
    message: `${verb} production of ${plan.project.name} from ${plan.from.id} (${plan.from.createdAt.slice(0, 16)}) to ${plan.to.id} (${plan.to.createdAt.slice(0, 16)}, ${plan.to.url})`,
    fix: "",
  };
}

export const rollback = defineCommand<typeof ARGS, RollbackDeps, RollbackReport>({
  name: "rollback",
  description:
    "List production deployments, roll back to the previous (or a chosen) one, check health",
  help:
    "Through the Vercel API (VERCEL_TOKEN; the team and project from runbooks:vercel of --stack):\n" +
    "--list shows recent production deployments and which one serves. Otherwise production is\n" +
    "pointed back at the previous production deployment (or --to), without a rebuild; the command\n" +
    "waits until Vercel reports it serving, then runs the health check. --dry-run changes nothing.\n" +
    "After a rollback Vercel stops promoting new production builds until one is promoted\n" +
    "(vercel promote <url>).",
  shared: ["stack", "json", "quiet"],
  args: ARGS,
  async run({ args, stack, env, root, deps, now, redactAlso, progress }) {
    if (args.list && (args.to !== undefined || args["dry-run"]))
      throw new UsageError("--list only lists; drop --to and --dry-run");
    let access;
    try {
      access = resolveVercelAccess({ stack, env, root, project: args.project });
    } catch (error) {
      if (error instanceof VendorAccessError || error instanceof LocalServicesError)
        throw new UsageError(error.message);
      throw error;
    }
    redactAlso(access.token);
    const vercel = vercelClient(access, { retryForMs: deps.retryForMs });
    let deployments: ProductionDeployments;
    try {
      deployments = await listProductionDeployments(vercel, access, args.limit);
    } catch (error) {
      if (error instanceof DeploymentsError) throw new UsageError(error.message);
      throw error;
    }
    const text = renderDeployments(deployments);
    if (args.list)
      return {
        findings: [
          {
            id: "list-deployments",
            severity: "info",
            subject: `Vercel project ${deployments.project.name}`,
            message: `${deployments.deployments.length} production deployment(s) of ${deployments.project.name}; ${deployments.currentId ?? "none"} serves production`,
            fix: "",
          },
        ],
        report: { deployments },
        text,
      };

    let plan: RollbackPlan;
    try {
      plan = planRollback(deployments, args.to);
    } catch (error) {
      if (error instanceof RollbackPlanError) throw new UsageError(error.message);
      throw error;
    }
    if (args["dry-run"])
      return {
        findings: [planFinding(plan, "would roll back")],
        report: { deployments, plan, dryRun: true },
        text,
        notes: ["(dry run: nothing was changed; run again without --dry-run to roll back)"],
      };

    progress.step(1, 3, `roll back ${plan.project.name} to ${plan.to.id}`);
    const sleep = deps.sleep ?? wait;
    const outcome = await executeRollback(
      vercel,
      access,
      plan,
      { timeoutMs: args.wait * 1000, intervalMs: deps.pollMs ?? 1000, sleep, now },
      args.reason,
    );
    if (!outcome.serving) {
      const failed: Finding = {
        id: "roll-back-production",
        severity: "high",
        subject: `Vercel project ${plan.project.name}`,
        message:
          outcome.jobStatus === "failed"
            ? `Vercel reports the rollback of ${plan.project.name} to ${plan.to.id} failed; production still serves ${plan.from.id}`
            : `rollback of ${plan.project.name} requested, but production did not serve ${plan.to.id} within ${args.wait} s`,
        fix: "look at the project's Deployments page (the Instant Rollback dialog shows its state); run again with --wait 600, or pick another target with --to",
      };
      return { findings: [failed], report: { deployments, plan, outcome }, text };
    }
    const findings: Finding[] = [
      {
        ...planFinding(plan, "rolled back"),
        details: [
          `serving after ${formatDuration(outcome.waitedMs / 1000)}`,
          "new production deployments are now built but not promoted: once fixed, promote one (vercel promote <url>)",
        ],
      },
    ];
    progress.step(2, 3, "production serves the target; checking health");
    try {
      const health = await runHealthCheck({
        url: args.url,
        stack,
        root,
        attempts: 3,
        timeoutMs: 5000,
        slowMs: 2000,
        certificateWarnDays: 14,
        fetch: deps.fetch,
        sleep: deps.sleep,
        tlsCa: deps.tlsCa,
      });
      redactAlso(...health.secrets);
      progress.step(3, 3, `health: ${health.report.state}`);
      return {
        findings: [...findings, ...health.findings],
        report: { deployments, plan, outcome, health: health.report },
        text: [...text, "", ...renderHealthHeader(health.report)],
      };
    } catch (error) {
      if (!(error instanceof HealthInputError) && !(error instanceof LocalServicesError))
        throw error;
      findings.push({
        id: "health",
        severity: "medium",
        subject: plan.project.name,
        message: `rolled back, but the app's health could not be checked: ${error.message}`,
        fix: "check it now: npm run health:check -- --url <url>",
        couldNotCheck: true,
      });
      return { findings, report: { deployments, plan, outcome }, text };
    }
  },
});

runAsMain(module, rollback);
