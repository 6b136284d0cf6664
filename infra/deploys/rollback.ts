/**
 * The runbook's `vercel rollback`: point production back at an earlier
 * production deployment (no rebuild), wait until Vercel reports it serving,
 * then check the app. Nothing is rolled back when the target is not a READY
 * production build, and nothing is reported done before production really
 * points at it.
 */
import type { Vercel } from "@vercel/sdk";
import type { VercelAccess } from "../vercel/api-access";
import type { DeploymentSummary, ProductionDeployments } from "./deployments";
import { describeSdkError } from "./vercel-client";

export interface RollbackPlan {
  project: { id: string; name: string };
  from: DeploymentSummary;
  to: DeploymentSummary;
}

/** No rollback is possible as asked: the message says why and what to pass instead. */
export class RollbackPlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RollbackPlanError";
  }
}

const bare = (url: string) => url.replace(/^https?:\/\//, "").replace(/\/+$/, "");

/**
 * The deployment to roll back to: `to` (an id or URL) when given, else the
 * newest rollback candidate older than the one serving now. Pure.
 */
export function planRollback(list: ProductionDeployments, to?: string): RollbackPlan {
  const from = list.deployments.find((d) => d.current);
  if (!from)
    throw new RollbackPlanError(
      `no deployment of ${list.project.name} serves production (or it is older than the ${list.deployments.length} listed): pass --to <id> of a READY production deployment`,
    );
  const others = list.deployments.filter((d) => !d.current);
  let target: DeploymentSummary | undefined;
  if (to !== undefined) {
    target = list.deployments.find((d) => d.id === to || bare(d.url) === bare(to));
    if (!target)
      throw new RollbackPlanError(
        `${to} is not one of the ${list.deployments.length} most recent production deployments of ${list.project.name}: see them with --list`,
      );
    if (target.current)
      throw new RollbackPlanError(`${target.id} already serves production: nothing to roll back`);
    if (target.readyState !== "READY")
      throw new RollbackPlanError(
        `${target.id} is ${target.readyState}, not READY: only a deployment that built can serve`,
      );
  } else {
    target = others.find(
      (d) =>
        d.readyState === "READY" &&
        d.rollbackCandidate &&
        Date.parse(d.createdAt) < Date.parse(from.createdAt),
    );
    if (!target)
      throw new RollbackPlanError(
        `no earlier production deployment of ${list.project.name} to roll back to (none READY and previously promoted before ${from.id}); pick one with --to <id> (see --list)`,
      );
  }
  return { project: list.project, from, to: target };
}

export interface RollbackWait {
  /** Give up after this long (ms). */
  timeoutMs: number;
  /** Between polls (ms). */
  intervalMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export interface RollbackOutcome {
  /** Production points at the target. */
  serving: boolean;
  /** How long until Vercel reported it (ms). */
  waitedMs: number;
  /** Vercel's job status for the alias change, when it reports one. */
  jobStatus?: string;
}

/** Request the rollback, then poll the project until production points at the target or the wait ends. */
export async function executeRollback(
  vercel: Vercel,
  access: VercelAccess,
  plan: RollbackPlan,
  wait: RollbackWait,
  reason?: string,
): Promise<RollbackOutcome> {
  const team = access.teamId ? { teamId: access.teamId } : {};
  try {
    await vercel.projects.requestRollback({
      projectId: plan.project.id,
      deploymentId: plan.to.id,
      ...(reason ? { description: reason } : {}),
      ...team,
    });
  } catch (error) {
    throw new Error(describeSdkError(error, `rollback of ${plan.project.name} to ${plan.to.id}`));
  }
  const started = wait.now();
  for (;;) {
    const project = await vercel.projects
      .getProject({ idOrName: plan.project.id, ...team })
      .catch((error: unknown) => {
        throw new Error(describeSdkError(error, `status of ${plan.project.name}`));
      });
    const jobStatus = project.lastAliasRequest?.jobStatus;
    const serving = project.targets?.production?.id === plan.to.id;
    if (serving || jobStatus === "failed")
      return { serving, waitedMs: wait.now() - started, ...(jobStatus ? { jobStatus } : {}) };
    if (wait.now() - started >= wait.timeoutMs)
      return {
        serving: false,
        waitedMs: wait.now() - started,
        ...(jobStatus ? { jobStatus } : {}),
      };
    await wait.sleep(wait.intervalMs);
  }
}
