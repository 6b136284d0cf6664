/**
 * How a deployment is shown: the object of `GET`/`POST /v13/deployments`,
 * an item of `GET /v7/deployments` and the `DeploymentView` tests read.
 * Apart from the routes and the build lifecycle because both show
 * deployments: the routes answer with these bodies, a finished build hands
 * its ready hooks the view.
 */
import { accountSlug, type DeploymentRecord, type VercelStore } from "./store";
import type { DeploymentView } from "./types";

/** How its build ended, as every deployment body says it: only the fields that are set. */
const buildOutcome = (d: DeploymentRecord) => ({
  ...(d.readySubstate ? { readySubstate: d.readySubstate } : {}),
  ...(d.errorCode ? { errorCode: d.errorCode } : {}),
  ...(d.errorMessage ? { errorMessage: d.errorMessage } : {}),
});

export const deploymentView = (d: DeploymentRecord): DeploymentView => ({
  id: d.id,
  url: d.url,
  projectId: d.projectId,
  target: d.target,
  readyState: d.readyState,
  ...buildOutcome(d),
  aliasAssigned: d.aliasAssigned,
  createdAt: d.createdAt,
});

const creator = ({ user }: VercelStore) => ({
  uid: user.id,
  username: user.username,
  email: user.email,
});

const inspectorUrl = (store: VercelStore, d: DeploymentRecord) =>
  `https://vercel.com/${accountSlug(store, d.accountId)}/${d.name}/${d.id.slice(4)}`;

/** The deployment object of `GET /v13/deployments/{idOrUrl}` and `POST /v13/deployments`. */
export const deploymentBody = (store: VercelStore, d: DeploymentRecord) => {
  const { user, teams, projects } = store;
  const project = projects.get(d.projectId)!;
  const envKeys = [...d.snapshot.keys()];
  return {
    id: d.id,
    url: d.url,
    name: d.name,
    meta: d.meta,
    version: 2,
    public: false,
    ownerId: d.accountId,
    projectId: d.projectId,
    createdAt: d.createdAt,
    createdIn: "iad1",
    bootedAt: d.createdAt,
    buildingAt: d.buildingAt ?? d.createdAt,
    ...(d.ready !== undefined ? { ready: d.ready } : {}),
    ...(d.canceledAt !== undefined ? { canceledAt: d.canceledAt } : {}),
    readyState: d.readyState,
    status: d.readyState,
    ...buildOutcome(d),
    ...(d.errorLink ? { errorLink: d.errorLink } : {}),
    type: "LAMBDAS",
    target: d.target,
    source: d.source,
    aliasAssigned: d.aliasAssigned,
    alias: d.aliasAssigned ? [`${project.name}.vercel.app`] : [],
    aliasError: null,
    automaticAliases: [`${project.name}-${accountSlug(store, d.accountId)}.vercel.app`],
    creator: { uid: user.id, username: user.username },
    regions: ["iad1"],
    routes: null,
    plan: teams.some((t) => t.id === d.accountId) ? "pro" : "hobby",
    inspectorUrl: inspectorUrl(store, d),
    isInConcurrentBuildsQueue: false,
    isInSystemBuildsQueue: false,
    buildSkipped: false,
    env: envKeys,
    build: { env: envKeys },
    projectSettings: {
      framework: project.framework,
      commandForIgnoringBuildStep: project.ignoredBuildStepCancels ? "exit 0" : null,
    },
    ...(d.gitBranch
      ? { gitSource: { type: "github", ref: d.gitBranch, repoId: 1, sha: "0".repeat(40) } }
      : {}),
  };
};

export const isRollbackCandidate = ({ projects }: VercelStore, d: DeploymentRecord) =>
  d.target === "production" &&
  d.readyState === "READY" &&
  d.readySubstate === "PROMOTED" &&
  projects.get(d.projectId)?.productionDeploymentId !== d.id;

/** One item of `GET /v7/deployments`. */
export const deploymentListItem = (store: VercelStore, d: DeploymentRecord) => ({
  uid: d.id,
  name: d.name,
  url: d.url,
  created: d.createdAt,
  createdAt: d.createdAt,
  ...(d.buildingAt !== undefined ? { buildingAt: d.buildingAt } : {}),
  ...(d.ready !== undefined ? { ready: d.ready } : {}),
  source: d.source,
  state: d.readyState,
  readyState: d.readyState,
  ...buildOutcome(d),
  type: "LAMBDAS",
  creator: creator(store),
  meta: d.meta,
  target: d.target,
  aliasError: null,
  aliasAssigned: d.aliasAssigned,
  isRollbackCandidate: isRollbackCandidate(store, d),
  inspectorUrl: inspectorUrl(store, d),
  projectId: d.projectId,
});
