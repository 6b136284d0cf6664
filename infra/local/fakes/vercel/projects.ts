/**
 * Vercel projects: the project object of `GET /v9/projects/{idOrName}` and
 * `GET /v10/projects`, with the deployment summaries it embeds (`targets`,
 * `latestDeployments`), and the `ProjectView` tests read.
 */
import type { FakeServer } from "../http";
import type { Ctx } from "./dialect";
import { badRequest, firstPage, parseLimit, projectNotFound } from "./errors";
import { findProject, type DeploymentRecord, type ProjectRecord, type VercelStore } from "./store";
import type { ProjectView } from "./types";

export const projectView = (p: ProjectRecord): ProjectView => ({
  id: p.id,
  name: p.name,
  accountId: p.accountId,
  productionDeploymentId: p.productionDeploymentId,
  autoAssignCustomDomains: p.autoAssignCustomDomains,
});

/** A deployment summary as it appears in a project's `targets` and `latestDeployments`. */
const projectDeploymentRef = ({ user, teams }: VercelStore, d: DeploymentRecord) => ({
  id: d.id,
  url: d.url,
  name: d.name,
  createdAt: d.createdAt,
  createdIn: "iad1",
  creator: { uid: user.id, username: user.username, email: user.email },
  deploymentHostname: d.url.replace(/\.vercel\.app$/, ""),
  meta: d.meta,
  plan: teams.some((t) => t.id === d.accountId) ? "pro" : "hobby",
  private: true,
  readyState: d.readyState,
  ...(d.readySubstate ? { readySubstate: d.readySubstate } : {}),
  ...(d.ready !== undefined ? { readyAt: d.ready } : {}),
  ...(d.buildingAt !== undefined ? { buildingAt: d.buildingAt } : {}),
  target: d.target,
  type: "LAMBDAS",
  aliasAssigned: d.aliasAssigned,
  aliasError: null,
  ...(teams.some((t) => t.id === d.accountId) ? { teamId: d.accountId } : { userId: user.id }),
});

const projectBody = (store: VercelStore, p: ProjectRecord) => {
  const { user, deployments } = store;
  const production = p.productionDeploymentId
    ? deployments.get(p.productionDeploymentId)
    : undefined;
  const latest = [...deployments.values()]
    .filter((d) => d.projectId === p.id)
    .sort((a, b) => b.createdAt - a.createdAt)
    .slice(0, 5);
  return {
    id: p.id,
    name: p.name,
    accountId: p.accountId,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    framework: p.framework,
    nodeVersion: "22.x",
    directoryListing: false,
    live: false,
    autoAssignCustomDomains: p.autoAssignCustomDomains,
    commandForIgnoringBuildStep: p.ignoredBuildStepCancels ? "exit 0" : null,
    alias: [],
    defaultResourceConfig: { functionDefaultRegions: ["iad1"] },
    resourceConfig: { functionDefaultRegions: ["iad1"] },
    deploymentExpiration: {},
    targets: production ? { production: projectDeploymentRef(store, production) } : {},
    latestDeployments: latest.map((d) => projectDeploymentRef(store, d)),
    lastAliasRequest: p.lastAliasRequest,
    ...(p.lastAliasRequest?.type === "rollback"
      ? {
          rollbackDescription: {
            userId: user.id,
            username: user.username,
            description: "",
            createdAt: p.lastAliasRequest.requestedAt,
          },
        }
      : {}),
  };
};

export function registerProjectRoutes(server: FakeServer<Ctx>, store: VercelStore) {
  const { projects } = store;

  server.on("GET", "/v9/projects/{idOrName}", (req, ctx) => {
    const p = findProject(store, ctx.accountId, req.params.idOrName!);
    return p ? { status: 200, body: projectBody(store, p) } : projectNotFound();
  });

  server.on("GET", "/v10/projects", (req, ctx) => {
    const limit = parseLimit(req.query.get("limit"), 20);
    if (typeof limit === "string") return badRequest(limit);
    const from = req.query.get("from");
    const search = req.query.get("search");
    const all = [...projects.values()]
      .filter((p) => p.accountId === ctx.accountId)
      .filter((p) => !search || p.name.includes(search))
      .filter((p) => !from || p.updatedAt < Number(from))
      .sort((a, b) => b.updatedAt - a.updatedAt);
    // Projects report no `prev`, even from a point in time.
    const { page, pagination } = firstPage(all, limit, (p) => p.updatedAt, false);
    return {
      status: 200,
      body: { projects: page.map((p) => projectBody(store, p)), pagination },
    };
  });
}
