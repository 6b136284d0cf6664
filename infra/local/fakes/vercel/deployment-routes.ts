/**
 * The deployment routes: create (a redeploy of an existing deployment, or a
 * build of a git ref), get, list, cancel, and the rollback and promote
 * requests that move production. Building and ending a deployment is
 * `deployments.ts`'s; these check each request and answer it.
 */
import { readJson, type FakeResponse, type FakeServer } from "../http";
import { deploymentBody, deploymentListItem, isRollbackCandidate } from "./deployment-bodies";
import { createDeploymentRecord, startBuild, switchProduction } from "./deployments";
import type { Ctx } from "./dialect";
import {
  badRequest,
  deploymentNotFound,
  firstPage,
  parseLimit,
  projectNotFound,
  vercelError,
} from "./errors";
import {
  findDeployment,
  findProject,
  type DeploymentRecord,
  type ProjectRecord,
  type VercelStore,
} from "./store";

export function registerDeploymentRoutes(server: FakeServer<Ctx>, store: VercelStore) {
  const { projects, deployments, now } = store;

  /** The project and its deployment that a rollback or promote path names, or Vercel's 404. */
  const projectDeployment = (
    accountId: string,
    params: Record<string, string | undefined>,
  ): { error: FakeResponse } | { p: ProjectRecord; d: DeploymentRecord } => {
    const p = findProject(store, accountId, params.projectId!);
    if (!p) return { error: projectNotFound() };
    const d = findDeployment(store, accountId, params.deploymentId!);
    if (!d || d.projectId !== p.id) return { error: deploymentNotFound() };
    return { p, d };
  };

  server.on("POST", "/v13/deployments", (req, ctx) => {
    const body = readJson(req);
    if (typeof body !== "object" || body === null || Array.isArray(body))
      return badRequest("body should be object.");
    const o = body as Record<string, unknown>;
    if (typeof o.name !== "string" || !o.name)
      return badRequest("missing required property `name`.");
    if (
      o.target !== undefined &&
      o.target !== "production" &&
      o.target !== "preview" &&
      o.target !== "staging"
    )
      return badRequest(
        "`target` should be equal to one of the allowed values: production, preview, staging.",
      );
    if (
      o.meta !== undefined &&
      (typeof o.meta !== "object" ||
        o.meta === null ||
        Object.values(o.meta).some((v) => typeof v !== "string"))
    )
      return badRequest("`meta` should be an object of strings.");
    const meta = (o.meta ?? {}) as Record<string, string>;
    if (typeof o.deploymentId === "string") {
      const original = findDeployment(store, ctx.accountId, o.deploymentId);
      if (!original) return deploymentNotFound();
      const project = projects.get(original.projectId)!;
      if (o.project !== undefined && o.project !== project.id && o.project !== project.name)
        return badRequest("`deploymentId` belongs to another project.");
      if (o.name !== project.name && o.project === undefined)
        return badRequest(
          `\`name\` "${o.name}" does not match the project of \`deploymentId\` ("${project.name}").`,
        );
      const target =
        o.target === undefined
          ? original.target
          : o.target === "production"
            ? "production"
            : "preview";
      // A redeploy builds the same commit again, but with the project's env
      // as it is now: this is how a changed variable reaches a deployment.
      const d = createDeploymentRecord(
        store,
        project,
        target,
        "redeploy",
        { ...meta },
        original.gitBranch,
      );
      startBuild(store, d);
      return { status: 200, body: deploymentBody(store, d) };
    }
    if (typeof o.gitSource === "object" && o.gitSource !== null) {
      const project = findProject(
        store,
        ctx.accountId,
        typeof o.project === "string" ? o.project : o.name,
      );
      if (!project) return projectNotFound();
      const ref = (o.gitSource as Record<string, unknown>).ref;
      if (typeof ref !== "string" || !ref) return badRequest("`gitSource.ref` should be string.");
      const target =
        o.target === "production" ? "production" : o.target === undefined ? null : "preview";
      const d = createDeploymentRecord(
        store,
        project,
        target,
        "api-trigger-git-deploy",
        { ...meta, githubCommitRef: ref },
        target === "production" ? undefined : ref,
      );
      startBuild(store, d);
      return { status: 200, body: deploymentBody(store, d) };
    }
    // Uploading files needs the file-upload endpoints, which this stand-in
    // does not provide; say so instead of accepting a request it cannot honour.
    return badRequest(
      "this local Vercel stand-in creates deployments from `deploymentId` (redeploy) or `gitSource`; file uploads are not implemented.",
    );
  });

  server.on("GET", "/v13/deployments/{idOrUrl}", (req, ctx) => {
    const d = findDeployment(store, ctx.accountId, req.params.idOrUrl!);
    return d ? { status: 200, body: deploymentBody(store, d) } : deploymentNotFound();
  });

  server.on("GET", "/v7/deployments", (req, ctx) => {
    const limit = parseLimit(req.query.get("limit"), 20);
    if (typeof limit === "string") return badRequest(limit);
    const q = req.query;
    const projectId = q.get("projectId");
    const target = q.get("target");
    const state = q.get("state")?.split(",");
    const until = q.get("until");
    const since = q.get("since");
    if (until !== null && !/^\d+$/.test(until)) return badRequest("`until` should be number.");
    if (since !== null && !/^\d+$/.test(since)) return badRequest("`since` should be number.");
    let project: ProjectRecord | undefined;
    if (projectId) {
      project = findProject(store, ctx.accountId, projectId);
      if (!project) return projectNotFound();
    }
    const all = [...deployments.values()]
      .filter((d) => d.accountId === ctx.accountId)
      .filter((d) => !project || d.projectId === project.id)
      .filter((d) => !target || d.target === target)
      .filter((d) => !state || state.includes(d.readyState))
      .filter((d) => q.get("rollbackCandidate") !== "true" || isRollbackCandidate(store, d))
      .filter((d) => until === null || d.createdAt < Number(until))
      .filter((d) => since === null || d.createdAt > Number(since))
      .sort((a, b) => b.createdAt - a.createdAt);
    const { page, pagination } = firstPage(
      all,
      limit,
      (d) => d.createdAt,
      until !== null || since !== null,
    );
    return {
      status: 200,
      body: { deployments: page.map((d) => deploymentListItem(store, d)), pagination },
    };
  });

  server.on("PATCH", "/v12/deployments/{id}/cancel", (req, ctx) => {
    const d = findDeployment(store, ctx.accountId, req.params.id!);
    if (!d) return deploymentNotFound();
    if (!["QUEUED", "INITIALIZING", "BUILDING"].includes(d.readyState))
      return vercelError(
        400,
        "bad_request",
        `Deployment cannot be canceled in state ${d.readyState}.`,
      );
    d.plannedEnd = "CANCELED";
    d.readyState = "CANCELED";
    d.canceledAt = now();
    return { status: 200, body: deploymentBody(store, d) };
  });

  // `requestRollback` in @vercel/sdk calls POST /v1/projects/{projectId}/
  // rollback/{deploymentId} (not a v9 path), answering 201 with no body;
  // `requestPromote` calls POST /v10/.../promote/{id}. A rollback points production at an
  // earlier production deployment without rebuilding, and, as on Vercel,
  // turns off automatic promotion of new production deployments until the
  // next promote.
  server.on("POST", "/v1/projects/{projectId}/rollback/{deploymentId}", (req, ctx) => {
    const target = projectDeployment(ctx.accountId, req.params);
    if ("error" in target) return target.error;
    const { p, d } = target;
    if (d.target !== "production" || d.readyState !== "READY")
      return vercelError(
        400,
        "bad_request",
        "Only a READY production deployment can be the target of a rollback.",
      );
    if (p.productionDeploymentId === d.id)
      return vercelError(
        409,
        "conflict",
        "This deployment is already the current production deployment.",
      );
    // A rollback stops assigning custom domains to new production builds
    // until a promote (Vercel's behaviour), so a later push cannot undo it.
    switchProduction(store, p, d, "rollback");
    return { status: 201 };
  });

  server.on("POST", "/v10/projects/{projectId}/promote/{deploymentId}", (req, ctx) => {
    const target = projectDeployment(ctx.accountId, req.params);
    if ("error" in target) return target.error;
    const { p, d } = target;
    if (d.readyState !== "READY")
      return vercelError(
        400,
        "bad_request",
        `Deployment is ${d.readyState}; only a READY deployment can be promoted.`,
      );
    // Promoting a preview deployment makes Vercel build a production copy;
    // this stand-in only promotes production builds, and says so.
    if (d.target !== "production")
      return vercelError(
        400,
        "bad_request",
        "This local stand-in promotes production deployments only (a preview would need a rebuild).",
      );
    switchProduction(store, p, d, "promote");
    return { status: 201 };
  });
}
