/**
 * A deployment's life in the fake: created with a snapshot of the project's
 * env (so a later env change reaches only a new deployment, as on Vercel),
 * queued, building, then READY or the end state a test planned; a READY
 * production deployment is promoted unless a rollback turned that off. The
 * routes and the test controls both create and finish deployments here.
 */
import { randomId } from "../secret-box";
import { deploymentView } from "./deployment-bodies";
import { projectView } from "./projects";
import { accountSlug, type DeploymentRecord, type ProjectRecord, type VercelStore } from "./store";
import type { EnvTarget, FailedEndState } from "./types";

const snapshotEnv = (
  project: ProjectRecord,
  target: "production" | "preview" | null,
  gitBranch?: string,
) => {
  const envTarget: EnvTarget = target === "production" ? "production" : "preview";
  const snapshot = new Map<string, string>();
  // Branch-specific preview values override the general ones, as on Vercel.
  const matching = project.envs
    .filter((e) => e.target.includes(envTarget))
    .filter((e) => !e.gitBranch || (envTarget === "preview" && e.gitBranch === gitBranch))
    .sort((a, b) => Number(Boolean(a.gitBranch)) - Number(Boolean(b.gitBranch)));
  for (const e of matching) snapshot.set(e.key, e.sealed);
  return snapshot;
};

const systemEnv = (d: DeploymentRecord): Record<string, string> => ({
  VERCEL: "1",
  VERCEL_ENV: d.target === "production" ? "production" : "preview",
  VERCEL_URL: d.url,
  VERCEL_DEPLOYMENT_ID: d.id,
  VERCEL_PROJECT_ID: d.projectId,
});

export const decryptedEnv = ({ box }: VercelStore, d: DeploymentRecord) => ({
  ...systemEnv(d),
  ...Object.fromEntries([...d.snapshot].map(([k, sealed]) => [k, box.open(sealed)])),
});

const takePlannedEnd = (
  { plannedEnds }: VercelStore,
  project: ProjectRecord,
): "READY" | FailedEndState => {
  const i = plannedEnds.findIndex(
    (p) => !p.project || p.project === project.id || p.project === project.name,
  );
  if (i >= 0) {
    const planned = plannedEnds[i]!;
    planned.remaining -= 1;
    if (planned.remaining === 0) plannedEnds.splice(i, 1);
    return planned.state;
  }
  return project.ignoredBuildStepCancels ? "CANCELED" : "READY";
};

export const promote = (
  { deployments, now }: VercelStore,
  project: ProjectRecord,
  d: DeploymentRecord,
) => {
  const previous = project.productionDeploymentId
    ? deployments.get(project.productionDeploymentId)
    : undefined;
  if (previous && previous.id !== d.id) previous.aliasAssigned = false;
  project.productionDeploymentId = d.id;
  d.readySubstate = "PROMOTED";
  d.aliasAssigned = true;
  project.updatedAt = now();
};

/** A rollback or promote request: production moves to `d`, and the alias request records it. */
export const switchProduction = (
  store: VercelStore,
  project: ProjectRecord,
  d: DeploymentRecord,
  type: "rollback" | "promote",
) => {
  const from = project.productionDeploymentId;
  promote(store, project, d);
  project.autoAssignCustomDomains = type === "promote";
  project.lastAliasRequest = {
    fromDeploymentId: from,
    toDeploymentId: d.id,
    jobStatus: "succeeded",
    requestedAt: store.now(),
    type,
  };
};

export const finish = async (store: VercelStore, d: DeploymentRecord) => {
  const { projects, readyHooks, now } = store;
  const project = projects.get(d.projectId)!;
  const t = now();
  if (d.plannedEnd === "READY") {
    try {
      for (const hook of readyHooks)
        await hook({
          project: projectView(project),
          deployment: deploymentView({ ...d, readyState: "READY" }),
          env: decryptedEnv(store, d),
        });
    } catch {
      d.readyState = "ERROR";
      d.errorCode = "BUILD_FAILED";
      d.errorMessage = "The deployment failed to start (a deployment-ready hook rejected).";
      d.ready = t;
      return;
    }
    d.readyState = "READY";
    d.ready = t;
    d.readySubstate = "STAGED";
    if (d.target === "production" && project.autoAssignCustomDomains) promote(store, project, d);
    return;
  }
  d.readyState = d.plannedEnd;
  if (d.plannedEnd === "CANCELED") {
    // A deployment canceled by the Ignored Build Step carries this message
    // and link besides readyState (seen in a canceled deployment's API
    // payload quoted in UnlyEd/github-action-await-vercel issue #107), so a
    // client can tell it from a manual cancel.
    d.canceledAt = t;
    d.errorMessage =
      'The Deployment has been canceled as a result of running the command defined in the "Ignored Build Step" setting.';
    d.errorLink = "https://vercel.com/docs/platform/projects#ignored-build-step";
  } else if (d.plannedEnd === "ERROR") {
    d.errorCode = "BUILD_UTILS_SPAWN_1";
    d.errorMessage = 'Command "npm run build" exited with 1';
    d.ready = t;
  } else {
    d.errorCode = "DEPLOYMENT_BLOCKED";
    d.errorMessage =
      "The deployment was blocked because the commit author is not a member of the team.";
  }
};

const schedule = ({ timers }: VercelStore, ms: number, fn: () => void | Promise<void>) => {
  const timer = setTimeout(() => {
    timers.delete(timer);
    void fn();
  }, ms);
  timers.add(timer);
};

export const createDeploymentRecord = (
  store: VercelStore,
  project: ProjectRecord,
  target: "production" | "preview" | null,
  source: DeploymentRecord["source"],
  meta: Record<string, string>,
  gitBranch?: string,
): DeploymentRecord => {
  const { deployments, now } = store;
  const id = `dpl_${randomId(28)}`;
  const d: DeploymentRecord = {
    id,
    url: `${project.name}-${randomId(9, "abcdefghijklmnopqrstuvwxyz0123456789")}-${accountSlug(store, project.accountId)}.vercel.app`,
    name: project.name,
    projectId: project.id,
    accountId: project.accountId,
    target,
    ...(gitBranch ? { gitBranch } : {}),
    meta,
    source,
    readyState: "QUEUED",
    createdAt: now(),
    aliasAssigned: false,
    snapshot: snapshotEnv(project, target, gitBranch),
    plannedEnd: takePlannedEnd(store, project),
  };
  deployments.set(id, d);
  return d;
};

export const startBuild = (store: VercelStore, d: DeploymentRecord) => {
  const { buildDurationMs, now } = store;
  schedule(store, buildDurationMs / 3, () => {
    d.readyState = "BUILDING";
    d.buildingAt = now();
  });
  schedule(store, buildDurationMs, () => finish(store, d));
};
