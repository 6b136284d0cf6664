/**
 * Redeploy a Vercel project's current production deployment once and wait
 * for it: Vercel applies changed variables only to new deployments, so until
 * this is READY and serving, the app still runs the old credential.
 *
 * Only READY counts. CANCELED (a project's Ignored Build Step cancels a
 * same-commit redeploy, silently), ERROR and BLOCKED are failures, and so is a
 * READY deployment that is not serving production (automatic promotion is
 * off after a rollback).
 *
 * The redeploy carries `meta.runbooksRotation` (what it rolls out): a re-run
 * after a crash finds the deployment it already started and waits for that
 * one instead of starting another.
 */
import { describeVercelError, vercelClient, type VercelApi } from "./sinks/vercel";

export interface RedeployResult {
  deploymentId: string;
  url: string;
  readyState: string;
  /** true when a deployment started by an earlier, interrupted run was reused. */
  adopted: boolean;
}

export interface RedeployOptions {
  /** What this rollout carries (credential generations), recorded in the deployment's meta. */
  rollout: string;
  /** Give up waiting after this long. */
  timeoutMs?: number;
  pollMs?: number;
}

const BUILDING = ["QUEUED", "INITIALIZING", "BUILDING"];

export class RedeployError extends Error {
  constructor(
    message: string,
    readonly deploymentId: string | undefined,
    readonly readyState: string | undefined,
  ) {
    super(message);
    this.name = "RedeployError";
  }
}

export async function redeployProduction(
  api: VercelApi,
  project: string,
  o: RedeployOptions,
): Promise<RedeployResult> {
  const vercel = vercelClient(api);
  const team = api.teamId ? { teamId: api.teamId } : {};
  const fail = (what: string, error: unknown): never => {
    throw new RedeployError(
      `Vercel: ${what} of project ${project} failed: ${describeVercelError(error)}`,
      undefined,
      undefined,
    );
  };
  const p = await vercel.projects
    .getProject({ idOrName: project, ...team })
    .catch((e) => fail("reading", e));
  const list = await vercel.deployments
    .getDeployments({ projectId: p.id, target: "production", limit: 20, ...team })
    .catch((e) => fail("listing deployments", e));
  const mine = list.deployments.find(
    (d) =>
      d.meta?.runbooksRotation === o.rollout &&
      !["ERROR", "CANCELED", "BLOCKED"].includes(d.readyState ?? ""),
  );
  let id: string;
  let adopted = false;
  if (mine) {
    id = mine.uid;
    adopted = true;
  } else {
    const production = p.targets?.production?.id;
    if (!production)
      throw new RedeployError(
        `Vercel project ${project} has no production deployment to redeploy; deploy it once (git push to the production branch), then run the rotation again`,
        undefined,
        undefined,
      );
    const created = await vercel.deployments
      .createDeployment({
        forceNew: "1",
        ...team,
        requestBody: {
          deploymentId: production,
          name: p.name,
          target: "production",
          meta: { action: "redeploy", runbooksRotation: o.rollout },
        },
      })
      .catch((e) => fail("redeploying", e));
    id = created.id;
  }
  const deadline = Date.now() + (o.timeoutMs ?? 15 * 60_000);
  for (;;) {
    const d = await vercel.deployments
      .getDeployment({ idOrUrl: id, ...team })
      .catch((e) => fail("polling the redeploy", e));
    const state = d.readyState;
    const url = "url" in d ? String(d.url) : id;
    if (state === "READY") {
      const now = await vercel.projects
        .getProject({ idOrName: project, ...team })
        .catch((e) => fail("reading", e));
      if (now.targets?.production?.id !== id)
        throw new RedeployError(
          `redeploy ${id} of ${project} is READY but is not serving production (automatic promotion is off, e.g. after a rollback); promote it in the Vercel dashboard or with 'vercel promote ${url}', then run the rotation again`,
          id,
          state,
        );
      return { deploymentId: id, url, readyState: state, adopted };
    }
    if (!BUILDING.includes(state)) {
      const why = "errorMessage" in d && d.errorMessage ? `: ${d.errorMessage}` : "";
      const hint =
        state === "CANCELED"
          ? " A canceled redeploy usually means the project's Ignored Build Step skipped it (same commit); make the ignore command let redeploys through (e.g. check VERCEL_GIT_COMMIT_REF or an env flag)."
          : "";
      throw new RedeployError(
        `redeploy ${id} of ${project} ended ${state}${why}.${hint}`,
        id,
        state,
      );
    }
    if (Date.now() > deadline)
      throw new RedeployError(
        `redeploy ${id} of ${project} was still ${state} after ${Math.round((o.timeoutMs ?? 900_000) / 1000)} s`,
        id,
        state,
      );
    await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
  }
}
