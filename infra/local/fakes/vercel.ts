/**
 * A local stand-in for the parts of the Vercel REST API this project calls:
 * projects, environment variables, deployments (redeploy, status, list,
 * rollback, promote) and FOCUS billing charges.
 *
 * Shapes follow `@vercel/sdk`'s response schemas (the SDK validates every 2xx
 * body, so the SDK is the check on this file) and the REST reference. Facts
 * the SDK cannot tell are noted where they are used, with their source.
 */
import { gzipSync } from "node:zlib";
import {
  FakeServer,
  bearerToken,
  readJson,
  type Dialect,
  type FakeRequest,
  type FakeServerHandle,
  type RateLimitOptions,
  type RequestLogEntry,
} from "./http";
import { SecretBox, randomId } from "./secret-box";

export type EnvType = "system" | "encrypted" | "plain" | "sensitive";
export type EnvTarget = "production" | "preview" | "development";
export type ReadyState =
  "QUEUED" | "INITIALIZING" | "BUILDING" | "READY" | "ERROR" | "CANCELED" | "BLOCKED";
export type FailedEndState = "CANCELED" | "ERROR" | "BLOCKED";

const ENV_TYPES: readonly EnvType[] = ["system", "encrypted", "plain", "sensitive"];
const ENV_TARGETS: readonly EnvTarget[] = ["production", "preview", "development"];
const LIST_LIMIT_MAX = 100;

export interface VercelAccount {
  id: string;
  slug: string;
  name?: string;
}

export interface VercelFakeOptions {
  /** The bearer token the fake accepts. */
  token: string;
  /** The token owner's personal account (defaults to a generated user). */
  user?: { id?: string; username?: string; email?: string };
  /** Teams the token may act for (`teamId` / `slug` query parameters). */
  teams?: VercelAccount[];
  /** QUEUED → BUILDING → end state takes this long (default 300 ms). */
  buildDurationMs?: number;
  /** Requests per window per token and route; the real limits are not published per route. */
  rateLimit?: RateLimitOptions;
  /** First day (UTC, 1–28) of each billing cycle, for the FOCUS BillingPeriod columns. */
  billingCycleDay?: number;
  onRequest?: (entry: RequestLogEntry) => void;
}

export interface SeedProject {
  name: string;
  id?: string;
  /** Team id; the personal account when omitted. */
  teamId?: string;
  framework?: string | null;
  /** When true, the project's Ignored Build Step cancels every new deployment. */
  ignoredBuildStepCancels?: boolean;
}

export interface SeedEnv {
  key: string;
  value: string;
  type: EnvType;
  target: EnvTarget[];
  gitBranch?: string;
  comment?: string;
}

export interface SeedDeployment {
  target: "production" | "preview" | null;
  /** Ends READY unless given; a READY production deployment becomes the current one. */
  readyState?: ReadyState;
  gitBranch?: string;
  meta?: Record<string, string>;
  createdAt?: number;
}

/** One FOCUS v1.3 charge row (Vercel's required columns plus any extra). */
export interface FocusCharge {
  BilledCost: number;
  BillingCurrency: string;
  ChargeCategory: "Usage" | "Purchase" | "Tax" | "Credit" | "Adjustment";
  ChargePeriodStart: string;
  ChargePeriodEnd: string;
  ConsumedQuantity: number;
  ConsumedUnit: string;
  EffectiveCost: number;
  PricingCategory: string;
  PricingCurrency: string;
  PricingQuantity: number;
  PricingUnit: string;
  ServiceName: string;
  ServiceProviderName: string;
  Tags: Record<string, string>;
  [extra: string]: unknown;
}

export interface ProjectView {
  id: string;
  name: string;
  accountId: string;
  productionDeploymentId: string | null;
  autoAssignCustomDomains: boolean;
}

export interface DeploymentView {
  id: string;
  url: string;
  projectId: string;
  target: "production" | "preview" | null;
  readyState: ReadyState;
  readySubstate?: "STAGED" | "ROLLING" | "PROMOTED";
  errorCode?: string;
  errorMessage?: string;
  aliasAssigned: boolean;
  createdAt: number;
}

export interface DeploymentReadyEvent {
  project: ProjectView;
  deployment: DeploymentView;
  /** The deployment's environment, decrypted, as its functions would see it. */
  env: Record<string, string>;
}

export interface VercelFake extends FakeServerHandle {
  /** The personal account the token belongs to. */
  user: { id: string; username: string; email: string };
  addProject(seed: SeedProject): ProjectView;
  addEnv(project: string, seed: SeedEnv): { id: string };
  addDeployment(project: string, seed: SeedDeployment): DeploymentView;
  addCharges(accountId: string, charges: FocusCharge[]): void;
  project(idOrName: string): ProjectView;
  deployment(id: string): DeploymentView;
  /** The env a deployment was built with (decrypted); a later env change does not alter it. */
  deploymentEnv(id: string): Record<string, string>;
  /** The current decrypted value of `key` for `target`, or undefined. */
  envValue(project: string, key: string, target: EnvTarget): string | undefined;
  /** The next `times` new deployments (of `project`, if given) end in `state`. */
  nextDeploymentEnds(state: FailedEndState, opts?: { project?: string; times?: number }): void;
  /** Called as each deployment turns READY; a rejecting callback makes the deployment end ERROR. */
  onDeploymentReady(callback: (event: DeploymentReadyEvent) => void | Promise<void>): () => void;
}

interface EnvRecord {
  id: string;
  key: string;
  /** Sealed with the fake's key: never kept in plaintext. */
  sealed: string;
  type: EnvType;
  target: EnvTarget[];
  gitBranch?: string;
  comment?: string;
  createdAt: number;
  updatedAt: number;
  createdBy: string;
  updatedBy: string;
}

interface ProjectRecord {
  id: string;
  name: string;
  accountId: string;
  framework: string | null;
  createdAt: number;
  updatedAt: number;
  envs: EnvRecord[];
  productionDeploymentId: string | null;
  autoAssignCustomDomains: boolean;
  ignoredBuildStepCancels: boolean;
  lastAliasRequest: null | {
    fromDeploymentId: string | null;
    toDeploymentId: string;
    jobStatus: "succeeded" | "failed" | "skipped" | "pending" | "in-progress";
    requestedAt: number;
    type: "promote" | "rollback";
  };
}

interface DeploymentRecord {
  id: string;
  url: string;
  name: string;
  projectId: string;
  accountId: string;
  target: "production" | "preview" | null;
  gitBranch?: string;
  meta: Record<string, string>;
  source: "redeploy" | "git" | "api-trigger-git-deploy";
  readyState: ReadyState;
  readySubstate?: "STAGED" | "ROLLING" | "PROMOTED";
  createdAt: number;
  buildingAt?: number;
  ready?: number;
  canceledAt?: number;
  errorCode?: string;
  errorMessage?: string;
  errorLink?: string;
  aliasAssigned: boolean;
  /** The env snapshot taken at creation: key → sealed value. */
  snapshot: Map<string, string>;
  plannedEnd: "READY" | FailedEndState;
}

interface Ctx {
  /** The account the request acts for (team or the personal account). */
  accountId: string;
}

const vercelError = (status: number, code: string, message: string, extra = {}) => ({
  status,
  body: { error: { code, message, ...extra } },
});

// Auth failures answer 403 `forbidden` in the `{error: {code, message}}`
// shape: a real 403 body seen through @vercel/sdk is quoted in dyad-sh/dyad
// issue #4175. The `invalidToken` flag for an unusable token is how the API
// is commonly reported to answer; no vendor page confirms it. The SDK treats
// 401 and 403 alike, so clients must not depend on which one they get.
const dialect = (token: string, resolveAccount: (req: FakeRequest) => string | undefined) =>
  ({
    authenticate(req) {
      const given = bearerToken(req);
      if (!given || given !== token)
        return {
          response: vercelError(403, "forbidden", "Not authorized", { invalidToken: true }),
        };
      const accountId = resolveAccount(req);
      if (!accountId)
        return {
          response: vercelError(403, "forbidden", "You don't have permission to access this team."),
        };
      return { ctx: { accountId } };
    },
    rateLimitKey: (req) => req.route,
    // Body shape per the REST reference's rate-limit error; the X-RateLimit-*
    // headers are what Vercel's API is widely reported to send, but no vendor
    // page confirms them, so clients must rely on the body and retry-after.
    rateLimited: (state, retryAfter) => ({
      status: 429,
      headers: { "retry-after": String(retryAfter) },
      body: {
        error: {
          code: "rate_limited",
          message: `Rate limit exceeded. Try again in ${retryAfter} seconds.`,
          limit: {
            remaining: Math.max(0, state.remaining),
            reset: Math.ceil(state.resetAtMs / 1000),
            resetMs: state.resetAtMs,
            total: state.limit,
          },
        },
      },
    }),
    rateLimitHeaders: (state) => ({
      "x-ratelimit-limit": String(state.limit),
      "x-ratelimit-remaining": String(Math.max(0, state.remaining)),
      "x-ratelimit-reset": String(Math.ceil(state.resetAtMs / 1000)),
    }),
    serverError: (status) =>
      vercelError(status, "internal_server_error", "An unexpected internal error occurred."),
    routeNotFound: () => vercelError(404, "not_found", "The requested API endpoint was not found."),
    badJson: () => vercelError(400, "bad_request", "Invalid JSON body."),
  }) satisfies Dialect<Ctx>;

/** `Invalid request: …` is the wording the REST API uses for body validation errors. */
const badRequest = (message: string) =>
  vercelError(400, "bad_request", `Invalid request: ${message}`);

export async function startVercelFake(options: VercelFakeOptions): Promise<VercelFake> {
  const box = new SecretBox();
  const user = {
    id: options.user?.id ?? randomId(24),
    username: options.user?.username ?? "local-user",
    email: options.user?.email ?? "local-user@example.test",
  };
  const teams = options.teams ?? [];
  const buildDurationMs = options.buildDurationMs ?? 300;
  const billingCycleDay = options.billingCycleDay ?? 1;
  const projects = new Map<string, ProjectRecord>();
  const deployments = new Map<string, DeploymentRecord>();
  const charges = new Map<string, FocusCharge[]>();
  const plannedEnds: { state: FailedEndState; project?: string; remaining: number }[] = [];
  const readyHooks = new Set<(event: DeploymentReadyEvent) => void | Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  let clock = 0;
  // Deployment and env timestamps must be strictly increasing: pagination
  // cursors are timestamps, and two items sharing one would be skipped.
  const now = () => (clock = Math.max(Date.now(), clock + 1));

  const resolveAccount = (req: FakeRequest): string | undefined => {
    const teamId = req.query.get("teamId");
    const slug = req.query.get("slug");
    if (!teamId && !slug) return user.id;
    const team = teams.find((t) => (teamId ? t.id === teamId : t.slug === slug));
    return team?.id;
  };

  const accountSlug = (accountId: string) =>
    teams.find((t) => t.id === accountId)?.slug ?? user.username;

  const findProject = (accountId: string, idOrName: string) => {
    for (const p of projects.values())
      if (p.accountId === accountId && (p.id === idOrName || p.name === idOrName)) return p;
    return undefined;
  };

  const anyProject = (idOrName: string) => {
    for (const p of projects.values()) if (p.id === idOrName || p.name === idOrName) return p;
    throw new Error(`no project "${idOrName}" in the Vercel fake; seed it with addProject()`);
  };

  const projectNotFound = () => vercelError(404, "not_found", "Project not found");

  // ---- views ---------------------------------------------------------------

  const projectView = (p: ProjectRecord): ProjectView => ({
    id: p.id,
    name: p.name,
    accountId: p.accountId,
    productionDeploymentId: p.productionDeploymentId,
    autoAssignCustomDomains: p.autoAssignCustomDomains,
  });

  const deploymentView = (d: DeploymentRecord): DeploymentView => ({
    id: d.id,
    url: d.url,
    projectId: d.projectId,
    target: d.target,
    readyState: d.readyState,
    ...(d.readySubstate ? { readySubstate: d.readySubstate } : {}),
    ...(d.errorCode ? { errorCode: d.errorCode } : {}),
    ...(d.errorMessage ? { errorMessage: d.errorMessage } : {}),
    aliasAssigned: d.aliasAssigned,
    createdAt: d.createdAt,
  });

  const creator = () => ({ uid: user.id, username: user.username, email: user.email });

  const inspectorUrl = (d: DeploymentRecord) =>
    `https://vercel.com/${accountSlug(d.accountId)}/${d.name}/${d.id.slice(4)}`;

  /** The deployment object of `GET /v13/deployments/{idOrUrl}` and `POST /v13/deployments`. */
  const deploymentBody = (d: DeploymentRecord) => {
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
      ...(d.readySubstate ? { readySubstate: d.readySubstate } : {}),
      ...(d.errorCode ? { errorCode: d.errorCode } : {}),
      ...(d.errorMessage ? { errorMessage: d.errorMessage } : {}),
      ...(d.errorLink ? { errorLink: d.errorLink } : {}),
      type: "LAMBDAS",
      target: d.target,
      source: d.source,
      aliasAssigned: d.aliasAssigned,
      alias: d.aliasAssigned ? [`${project.name}.vercel.app`] : [],
      aliasError: null,
      automaticAliases: [`${project.name}-${accountSlug(d.accountId)}.vercel.app`],
      creator: { uid: user.id, username: user.username },
      regions: ["iad1"],
      routes: null,
      plan: teams.some((t) => t.id === d.accountId) ? "pro" : "hobby",
      inspectorUrl: inspectorUrl(d),
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

  const isRollbackCandidate = (d: DeploymentRecord) =>
    d.target === "production" &&
    d.readyState === "READY" &&
    d.readySubstate === "PROMOTED" &&
    projects.get(d.projectId)?.productionDeploymentId !== d.id;

  /** One item of `GET /v7/deployments`. */
  const deploymentListItem = (d: DeploymentRecord) => ({
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
    ...(d.readySubstate ? { readySubstate: d.readySubstate } : {}),
    ...(d.errorCode ? { errorCode: d.errorCode } : {}),
    ...(d.errorMessage ? { errorMessage: d.errorMessage } : {}),
    type: "LAMBDAS",
    creator: creator(),
    meta: d.meta,
    target: d.target,
    aliasError: null,
    aliasAssigned: d.aliasAssigned,
    isRollbackCandidate: isRollbackCandidate(d),
    inspectorUrl: inspectorUrl(d),
    projectId: d.projectId,
  });

  /** A deployment summary as it appears in a project's `targets` and `latestDeployments`. */
  const projectDeploymentRef = (d: DeploymentRecord) => ({
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

  const projectBody = (p: ProjectRecord) => {
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
      targets: production ? { production: projectDeploymentRef(production) } : {},
      latestDeployments: latest.map(projectDeploymentRef),
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

  /** An env var as the list/edit/delete calls return it: encrypted values stay encrypted. */
  const envBody = (e: EnvRecord, decrypt: boolean) => {
    let value: string;
    let decrypted = false;
    if (e.type === "sensitive") value = "";
    else if (e.type === "plain" || decrypt) {
      value = box.open(e.sealed);
      decrypted = e.type !== "plain";
    } else value = e.sealed;
    return {
      id: e.id,
      key: e.key,
      value,
      type: e.type,
      target: e.target,
      ...(e.gitBranch ? { gitBranch: e.gitBranch } : {}),
      ...(e.comment !== undefined ? { comment: e.comment } : {}),
      configurationId: null,
      createdAt: e.createdAt,
      updatedAt: e.updatedAt,
      createdBy: e.createdBy,
      updatedBy: e.updatedBy,
      decrypted,
    };
  };

  // ---- env rules -------------------------------------------------------------

  const conflicts = (a: { key: string; target: EnvTarget[]; gitBranch?: string }, b: EnvRecord) =>
    a.key === b.key &&
    (a.gitBranch ?? "") === (b.gitBranch ?? "") &&
    a.target.some((t) => b.target.includes(t));

  interface EnvInput {
    key: string;
    value: string;
    type: EnvType;
    target: EnvTarget[];
    gitBranch?: string;
    comment?: string;
  }

  /** Schema checks of one create item; a failure rejects the whole request with 400. */
  const parseEnvInput = (raw: unknown, where: string): EnvInput | string => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw))
      return `${where} should be object.`;
    const o = raw as Record<string, unknown>;
    const allowed = [
      "key",
      "value",
      "type",
      "target",
      "gitBranch",
      "comment",
      "customEnvironmentIds",
    ];
    const extra = Object.keys(o).find((k) => !allowed.includes(k));
    if (extra) return `${where} should NOT have additional property \`${extra}\`.`;
    if (typeof o.key !== "string" || o.key.length === 0)
      return `${where} missing required property \`key\`.`;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.key))
      return `${where}.key \`${o.key}\` may only contain letters, digits and underscores and must not start with a digit.`;
    if (typeof o.value !== "string") return `${where} missing required property \`value\`.`;
    if (typeof o.type !== "string" || !ENV_TYPES.includes(o.type as EnvType))
      return `${where}.type should be equal to one of the allowed values: ${ENV_TYPES.join(", ")}.`;
    if (!Array.isArray(o.target) || o.target.length === 0)
      return `${where} missing required property \`target\`.`;
    const badTarget = o.target.find((t) => !ENV_TARGETS.includes(t as EnvTarget));
    if (badTarget !== undefined)
      return `${where}.target should be equal to one of the allowed values: ${ENV_TARGETS.join(", ")}.`;
    if (o.gitBranch !== undefined && o.gitBranch !== null && typeof o.gitBranch !== "string")
      return `${where}.gitBranch should be string.`;
    if (o.comment !== undefined && typeof o.comment !== "string")
      return `${where}.comment should be string.`;
    return {
      key: o.key,
      value: o.value,
      type: o.type as EnvType,
      target: [...new Set(o.target as EnvTarget[])],
      ...(typeof o.gitBranch === "string" && o.gitBranch ? { gitBranch: o.gitBranch } : {}),
      ...(typeof o.comment === "string" ? { comment: o.comment } : {}),
    };
  };

  /** Rules that fail one item but let the rest of a batch through. */
  const itemError = (input: EnvInput, project: ProjectRecord, upsert: boolean) => {
    if (input.type === "sensitive" && input.target.includes("development"))
      return {
        code: "bad_request",
        message:
          "Sensitive environment variables cannot be created in the Development environment.",
        key: input.key,
        target: input.target,
      };
    if (input.gitBranch && !input.target.every((t) => t === "preview"))
      return {
        code: "bad_request",
        message: "A Git branch can only be set for the Preview environment.",
        key: input.key,
        target: input.target,
      };
    const existing = project.envs.find((e) => conflicts(input, e));
    if (existing && !upsert)
      return {
        // The SDK types `code` as a plain string and no vendor page names
        // the conflict code: ENV_CONFLICT is this stand-in's choice, so
        // clients should key on the failed item's `key`, not on the code.
        code: "ENV_CONFLICT",
        message: `A variable with the name \`${input.key}\` already exists for the target ${existing.target.join(",")} on branch ${existing.gitBranch ?? "undefined"}`,
        key: input.key,
        envVarId: existing.id,
        envVarKey: existing.key,
        target: input.target,
      };
    return undefined;
  };

  const writeEnv = (project: ProjectRecord, input: EnvInput): EnvRecord => {
    const t = now();
    const existing = project.envs.find((e) => conflicts(input, e));
    if (existing) {
      Object.assign(existing, {
        sealed: box.seal(input.value),
        type: input.type,
        target: input.target,
        gitBranch: input.gitBranch,
        comment: input.comment ?? existing.comment,
        updatedAt: t,
        updatedBy: user.id,
      });
      project.updatedAt = t;
      return existing;
    }
    const record: EnvRecord = {
      id: randomId(16),
      key: input.key,
      sealed: box.seal(input.value),
      type: input.type,
      target: input.target,
      ...(input.gitBranch ? { gitBranch: input.gitBranch } : {}),
      ...(input.comment !== undefined ? { comment: input.comment } : {}),
      createdAt: t,
      updatedAt: t,
      createdBy: user.id,
      updatedBy: user.id,
    };
    project.envs.push(record);
    project.updatedAt = t;
    return record;
  };

  // ---- deployments -----------------------------------------------------------

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

  const decryptedEnv = (d: DeploymentRecord) => ({
    ...systemEnv(d),
    ...Object.fromEntries([...d.snapshot].map(([k, sealed]) => [k, box.open(sealed)])),
  });

  const takePlannedEnd = (project: ProjectRecord): "READY" | FailedEndState => {
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

  const promote = (project: ProjectRecord, d: DeploymentRecord) => {
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
  const switchProduction = (
    project: ProjectRecord,
    d: DeploymentRecord,
    type: "rollback" | "promote",
  ) => {
    const from = project.productionDeploymentId;
    promote(project, d);
    project.autoAssignCustomDomains = type === "promote";
    project.lastAliasRequest = {
      fromDeploymentId: from,
      toDeploymentId: d.id,
      jobStatus: "succeeded",
      requestedAt: now(),
      type,
    };
  };

  const finish = async (d: DeploymentRecord) => {
    const project = projects.get(d.projectId)!;
    const t = now();
    if (d.plannedEnd === "READY") {
      try {
        for (const hook of readyHooks)
          await hook({
            project: projectView(project),
            deployment: deploymentView({ ...d, readyState: "READY" }),
            env: decryptedEnv(d),
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
      if (d.target === "production" && project.autoAssignCustomDomains) promote(project, d);
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

  const schedule = (ms: number, fn: () => void | Promise<void>) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      void fn();
    }, ms);
    timers.add(timer);
  };

  const createDeploymentRecord = (
    project: ProjectRecord,
    target: "production" | "preview" | null,
    source: DeploymentRecord["source"],
    meta: Record<string, string>,
    gitBranch?: string,
  ): DeploymentRecord => {
    const id = `dpl_${randomId(28)}`;
    const d: DeploymentRecord = {
      id,
      url: `${project.name}-${randomId(9, "abcdefghijklmnopqrstuvwxyz0123456789")}-${accountSlug(project.accountId)}.vercel.app`,
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
      plannedEnd: takePlannedEnd(project),
    };
    deployments.set(id, d);
    return d;
  };

  const startBuild = (d: DeploymentRecord) => {
    schedule(buildDurationMs / 3, () => {
      d.readyState = "BUILDING";
      d.buildingAt = now();
    });
    schedule(buildDurationMs, () => finish(d));
  };

  const findDeployment = (accountId: string, idOrUrl: string) => {
    const host = idOrUrl.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
    for (const d of deployments.values())
      if (d.accountId === accountId && (d.id === idOrUrl || d.url === host)) return d;
    return undefined;
  };

  const deploymentNotFound = () => vercelError(404, "not_found", "Deployment not found");

  // ---- routes ----------------------------------------------------------------

  const server = new FakeServer<Ctx>(
    dialect(options.token, resolveAccount),
    options.rateLimit ?? { limit: 10_000, windowMs: 60_000 },
    options.onRequest,
  );

  server.on("GET", "/v9/projects/{idOrName}", (req, ctx) => {
    const p = findProject(ctx.accountId, req.params.idOrName!);
    return p ? { status: 200, body: projectBody(p) } : projectNotFound();
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
    const page = all.slice(0, limit);
    return {
      status: 200,
      body: {
        projects: page.map(projectBody),
        pagination: {
          count: page.length,
          next: all.length > page.length ? page[page.length - 1]!.updatedAt : null,
          prev: null,
        },
      },
    };
  });

  server.on("GET", "/v10/projects/{idOrName}/env", (req, ctx) => {
    const p = findProject(ctx.accountId, req.params.idOrName!);
    if (!p) return projectNotFound();
    const decrypt = req.query.get("decrypt") === "true";
    const gitBranch = req.query.get("gitBranch");
    const envs = p.envs.filter((e) => !gitBranch || e.gitBranch === gitBranch);
    return {
      status: 200,
      body: {
        // `securityIssues` is required in list items; this stand-in flags none.
        envs: envs.map((e) => ({ ...envBody(e, decrypt), securityIssues: [] })),
        pagination: { count: envs.length, next: null, prev: null },
      },
    };
  });

  server.on("POST", "/v10/projects/{idOrName}/env", (req, ctx) => {
    const p = findProject(ctx.accountId, req.params.idOrName!);
    if (!p) return projectNotFound();
    const upsert = req.query.get("upsert") === "true";
    const body = readJson(req);
    const batch = Array.isArray(body);
    const items = batch ? body : [body];
    if (items.length === 0) return badRequest("body should NOT have fewer than 1 items.");
    const inputs: EnvInput[] = [];
    for (const [i, raw] of items.entries()) {
      const parsed = parseEnvInput(raw, batch ? `body[${i}]` : "body");
      if (typeof parsed === "string") return badRequest(parsed);
      inputs.push(parsed);
    }
    const created: ReturnType<typeof envBody>[] = [];
    const failed: { error: Record<string, unknown> }[] = [];
    for (const input of inputs) {
      const error = itemError(input, p, upsert);
      if (error) failed.push({ error });
      else created.push(envBody(writeEnv(p, input), false));
    }
    if (!batch && failed.length === 1) return { status: 400, body: { error: failed[0]!.error } };
    return { status: 201, body: { created: batch ? created : created[0], failed } };
  });

  server.on("PATCH", "/v9/projects/{idOrName}/env/{id}", (req, ctx) => {
    const p = findProject(ctx.accountId, req.params.idOrName!);
    if (!p) return projectNotFound();
    const e = p.envs.find((x) => x.id === req.params.id);
    if (!e) return vercelError(404, "not_found", "Environment Variable not found");
    const body = readJson(req);
    if (typeof body !== "object" || body === null || Array.isArray(body))
      return badRequest("body should be object.");
    const patch = body as Record<string, unknown>;
    const merged: Record<string, unknown> = {
      key: e.key,
      value: box.open(e.sealed),
      type: e.type,
      target: e.target,
      ...(e.gitBranch ? { gitBranch: e.gitBranch } : {}),
      ...(e.comment !== undefined ? { comment: e.comment } : {}),
      ...patch,
    };
    if (merged.gitBranch === null) delete merged.gitBranch;
    const parsed = parseEnvInput(merged, "body");
    if (typeof parsed === "string") return badRequest(parsed);
    if (e.type === "sensitive" && parsed.type !== "sensitive")
      return badRequest("a sensitive Environment Variable cannot be changed to another type.");
    if (parsed.type === "sensitive" && parsed.target.includes("development"))
      return badRequest(
        "Sensitive environment variables cannot be created in the Development environment.",
      );
    const clash = p.envs.find((x) => x.id !== e.id && conflicts(parsed, x));
    if (clash)
      return vercelError(
        409,
        "ENV_CONFLICT",
        `A variable with the name \`${parsed.key}\` already exists for the target ${clash.target.join(",")}`,
      );
    const t = now();
    Object.assign(e, {
      key: parsed.key,
      sealed: box.seal(parsed.value),
      type: parsed.type,
      target: parsed.target,
      gitBranch: parsed.gitBranch,
      comment: parsed.comment,
      updatedAt: t,
      updatedBy: user.id,
    });
    p.updatedAt = t;
    return { status: 200, body: envBody(e, false) };
  });

  server.on("DELETE", "/v9/projects/{idOrName}/env/{id}", (req, ctx) => {
    const p = findProject(ctx.accountId, req.params.idOrName!);
    if (!p) return projectNotFound();
    const i = p.envs.findIndex((x) => x.id === req.params.id);
    if (i < 0) return vercelError(404, "not_found", "Environment Variable not found");
    const [removed] = p.envs.splice(i, 1);
    p.updatedAt = now();
    return { status: 200, body: envBody(removed!, false) };
  });

  server.on("GET", "/v1/projects/{idOrName}/env/{id}", (req, ctx) => {
    const p = findProject(ctx.accountId, req.params.idOrName!);
    if (!p) return projectNotFound();
    const e = p.envs.find((x) => x.id === req.params.id);
    if (!e) return vercelError(404, "not_found", "Environment Variable not found");
    const body = envBody(e, true);
    // A sensitive value is write-only: this call omits `value` for it (the
    // SDK's schema has a variant without `value` for exactly this case).
    if (e.type === "sensitive") {
      const { value: _value, ...rest } = body;
      return { status: 200, body: { ...rest, decrypted: false } };
    }
    return { status: 200, body };
  });

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
      const original = findDeployment(ctx.accountId, o.deploymentId);
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
        project,
        target,
        "redeploy",
        { ...meta },
        original.gitBranch,
      );
      startBuild(d);
      return { status: 200, body: deploymentBody(d) };
    }
    if (typeof o.gitSource === "object" && o.gitSource !== null) {
      const project = findProject(
        ctx.accountId,
        typeof o.project === "string" ? o.project : o.name,
      );
      if (!project) return projectNotFound();
      const ref = (o.gitSource as Record<string, unknown>).ref;
      if (typeof ref !== "string" || !ref) return badRequest("`gitSource.ref` should be string.");
      const target =
        o.target === "production" ? "production" : o.target === undefined ? null : "preview";
      const d = createDeploymentRecord(
        project,
        target,
        "api-trigger-git-deploy",
        { ...meta, githubCommitRef: ref },
        target === "production" ? undefined : ref,
      );
      startBuild(d);
      return { status: 200, body: deploymentBody(d) };
    }
    // Uploading files needs the file-upload endpoints, which this stand-in
    // does not provide; say so instead of accepting a request it cannot honour.
    return badRequest(
      "this local Vercel stand-in creates deployments from `deploymentId` (redeploy) or `gitSource`; file uploads are not implemented.",
    );
  });

  server.on("GET", "/v13/deployments/{idOrUrl}", (req, ctx) => {
    const d = findDeployment(ctx.accountId, req.params.idOrUrl!);
    return d ? { status: 200, body: deploymentBody(d) } : deploymentNotFound();
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
      project = findProject(ctx.accountId, projectId);
      if (!project) return projectNotFound();
    }
    const all = [...deployments.values()]
      .filter((d) => d.accountId === ctx.accountId)
      .filter((d) => !project || d.projectId === project.id)
      .filter((d) => !target || d.target === target)
      .filter((d) => !state || state.includes(d.readyState))
      .filter((d) => q.get("rollbackCandidate") !== "true" || isRollbackCandidate(d))
      .filter((d) => until === null || d.createdAt < Number(until))
      .filter((d) => since === null || d.createdAt > Number(since))
      .sort((a, b) => b.createdAt - a.createdAt);
    const page = all.slice(0, limit);
    return {
      status: 200,
      body: {
        deployments: page.map(deploymentListItem),
        pagination: {
          count: page.length,
          next: all.length > page.length ? page[page.length - 1]!.createdAt : null,
          prev: page.length > 0 && (until !== null || since !== null) ? page[0]!.createdAt : null,
        },
      },
    };
  });

  server.on("PATCH", "/v12/deployments/{id}/cancel", (req, ctx) => {
    const d = findDeployment(ctx.accountId, req.params.id!);
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
    return { status: 200, body: deploymentBody(d) };
  });

  // `requestRollback` in @vercel/sdk calls POST /v1/projects/{projectId}/
  // rollback/{deploymentId} (not a v9 path), answering 201 with no body;
  // `requestPromote` calls POST /v10/.../promote/{id}. A rollback points production at an
  // earlier production deployment without rebuilding, and, as on Vercel,
  // turns off automatic promotion of new production deployments until the
  // next promote.
  server.on("POST", "/v1/projects/{projectId}/rollback/{deploymentId}", (req, ctx) => {
    const p = findProject(ctx.accountId, req.params.projectId!);
    if (!p) return projectNotFound();
    const d = findDeployment(ctx.accountId, req.params.deploymentId!);
    if (!d || d.projectId !== p.id) return deploymentNotFound();
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
    switchProduction(p, d, "rollback");
    return { status: 201 };
  });

  server.on("POST", "/v10/projects/{projectId}/promote/{deploymentId}", (req, ctx) => {
    const p = findProject(ctx.accountId, req.params.projectId!);
    if (!p) return projectNotFound();
    const d = findDeployment(ctx.accountId, req.params.deploymentId!);
    if (!d || d.projectId !== p.id) return deploymentNotFound();
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
    switchProduction(p, d, "promote");
    return { status: 201 };
  });

  // FOCUS v1.3 charges as newline-delimited JSON (REST reference, "List FOCUS
  // billing charges"): `from` inclusive, `to` exclusive, at most one year,
  // gzip when the client accepts it.
  server.on("GET", "/v1/billing/charges", (req, ctx) => {
    const from = req.query.get("from");
    const to = req.query.get("to");
    if (!from) return badRequest("missing required query parameter `from`.");
    if (!to) return badRequest("missing required query parameter `to`.");
    const fromMs = Date.parse(from);
    const toMs = Date.parse(to);
    if (Number.isNaN(fromMs)) return badRequest("`from` should be an ISO 8601 date-time string.");
    if (Number.isNaN(toMs)) return badRequest("`to` should be an ISO 8601 date-time string.");
    if (toMs <= fromMs) return badRequest("`to` must be after `from`.");
    if (toMs - fromMs > 366 * 86_400_000)
      return badRequest("the date range must not exceed 1 year.");
    const rows = (charges.get(ctx.accountId) ?? []).filter((c) => {
      const start = Date.parse(c.ChargePeriodStart);
      return start >= fromMs && start < toMs;
    });
    const lines = rows.map((c) => JSON.stringify(withBillingPeriod(c, billingCycleDay)));
    if (/\bgzip\b/.test(String(req.headers["accept-encoding"] ?? "")))
      return {
        status: 200,
        headers: { "content-type": "application/jsonl", "content-encoding": "gzip" },
        raw: gzipSync(lines.map((l) => `${l}\n`).join("")),
      };
    return { status: 200, lines };
  });

  const handle = await server.listen();

  const fake: VercelFake = {
    ...handle,
    user,
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await handle.stop();
    },
    addProject(seed) {
      const accountId = seed.teamId ?? user.id;
      if (seed.teamId && !teams.some((t) => t.id === seed.teamId))
        throw new Error(
          `team "${seed.teamId}" is not one of the fake's teams; pass it in options.teams`,
        );
      if ([...projects.values()].some((p) => p.accountId === accountId && p.name === seed.name))
        throw new Error(`project "${seed.name}" already exists in the Vercel fake`);
      const t = now();
      const p: ProjectRecord = {
        id: seed.id ?? `prj_${randomId(28)}`,
        name: seed.name,
        accountId,
        framework: seed.framework ?? "nextjs",
        createdAt: t,
        updatedAt: t,
        envs: [],
        productionDeploymentId: null,
        autoAssignCustomDomains: true,
        ignoredBuildStepCancels: seed.ignoredBuildStepCancels ?? false,
        lastAliasRequest: null,
      };
      projects.set(p.id, p);
      return projectView(p);
    },
    addEnv(project, seed) {
      const p = anyProject(project);
      const parsed = parseEnvInput(seed, "env");
      if (typeof parsed === "string") throw new Error(parsed);
      const error = itemError(parsed, p, false);
      if (error) throw new Error(error.message);
      return { id: writeEnv(p, parsed).id };
    },
    addDeployment(project, seed) {
      const p = anyProject(project);
      const d = createDeploymentRecord(p, seed.target, "git", seed.meta ?? {}, seed.gitBranch);
      if (seed.createdAt !== undefined) d.createdAt = seed.createdAt;
      const state = seed.readyState ?? "READY";
      d.buildingAt = d.createdAt;
      if (state === "READY") {
        // Seeded history runs no ready hooks: it was built before the fake started.
        d.plannedEnd = "READY";
        d.readyState = "READY";
        d.ready = d.createdAt;
        d.readySubstate = "STAGED";
        if (d.target === "production" && p.autoAssignCustomDomains) promote(p, d);
      } else if (state === "CANCELED" || state === "ERROR" || state === "BLOCKED") {
        d.plannedEnd = state;
        void finish(d);
      } else {
        // A seeded in-flight deployment stays in its state until the test moves on.
        d.readyState = state;
      }
      return deploymentView(d);
    },
    addCharges(accountId, rows) {
      const list = charges.get(accountId) ?? [];
      list.push(...rows.map((r) => ({ ...r })));
      charges.set(accountId, list);
    },
    project: (idOrName) => projectView(anyProject(idOrName)),
    deployment(id) {
      const d = deployments.get(id);
      if (!d) throw new Error(`no deployment "${id}" in the Vercel fake`);
      return deploymentView(d);
    },
    deploymentEnv(id) {
      const d = deployments.get(id);
      if (!d) throw new Error(`no deployment "${id}" in the Vercel fake`);
      return decryptedEnv(d);
    },
    envValue(project, key, target) {
      const p = anyProject(project);
      const e = p.envs.find((x) => x.key === key && x.target.includes(target) && !x.gitBranch);
      return e ? box.open(e.sealed) : undefined;
    },
    nextDeploymentEnds(state, opts = {}) {
      const times = opts.times ?? 1;
      if (!Number.isInteger(times) || times < 1)
        throw new Error(`times must be a positive integer, got ${times}`);
      plannedEnds.push({ state, project: opts.project, remaining: times });
    },
    onDeploymentReady(callback) {
      readyHooks.add(callback);
      return () => readyHooks.delete(callback);
    },
  };
  return fake;
}

function parseLimit(raw: string | null, fallback: number): number | string {
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw)) return "`limit` should be number.";
  const n = Number(raw);
  if (n < 1 || n > LIST_LIMIT_MAX) return `\`limit\` should be between 1 and ${LIST_LIMIT_MAX}.`;
  return n;
}

/** Adds FOCUS `BillingPeriodStart/End`: the cycle containing the charge, starting on `cycleDay`. */
function withBillingPeriod(c: FocusCharge, cycleDay: number): FocusCharge {
  if (c.BillingPeriodStart && c.BillingPeriodEnd) return c;
  const start = new Date(c.ChargePeriodStart);
  let y = start.getUTCFullYear();
  let m = start.getUTCMonth();
  if (start.getUTCDate() < cycleDay) m -= 1;
  if (m < 0) {
    m = 11;
    y -= 1;
  }
  const periodStart = new Date(Date.UTC(y, m, cycleDay));
  const periodEnd = new Date(Date.UTC(y, m + 1, cycleDay));
  return {
    ...c,
    BillingPeriodStart: periodStart.toISOString(),
    BillingPeriodEnd: periodEnd.toISOString(),
  };
}
