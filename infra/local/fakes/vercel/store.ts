/**
 * The Vercel fake's state: the records behind every route (env values only
 * ever sealed), the deployment-ready hooks and planned build outcomes, the
 * build timers, and the clock. Handlers and the test controls share one
 * `VercelStore`; the lookups here are the ones more than one of them needs.
 */
import type { FakeRequest } from "../http";
import { SecretBox, randomId } from "../secret-box";
import type {
  DeploymentReadyEvent,
  EnvTarget,
  EnvType,
  FailedEndState,
  FocusCharge,
  ReadyState,
  VercelAccount,
  VercelFakeOptions,
} from "./types";

export interface EnvRecord {
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

export interface ProjectRecord {
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

export interface DeploymentRecord {
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

export interface VercelStore {
  box: SecretBox;
  user: { id: string; username: string; email: string };
  teams: VercelAccount[];
  buildDurationMs: number;
  billingCycleDay: number;
  projects: Map<string, ProjectRecord>;
  deployments: Map<string, DeploymentRecord>;
  charges: Map<string, FocusCharge[]>;
  /** End states `nextDeploymentEnds()` queued for the next new deployments. */
  plannedEnds: { state: FailedEndState; project?: string; remaining: number }[];
  readyHooks: Set<(event: DeploymentReadyEvent) => void | Promise<void>>;
  /** Pending build steps, cleared when the fake stops. */
  timers: Set<NodeJS.Timeout>;
  now: () => number;
}

export function createStore(options: VercelFakeOptions): VercelStore {
  let clock = 0;
  return {
    box: new SecretBox(),
    user: {
      id: options.user?.id ?? randomId(24),
      username: options.user?.username ?? "local-user",
      email: options.user?.email ?? "local-user@example.test",
    },
    teams: options.teams ?? [],
    buildDurationMs: options.buildDurationMs ?? 300,
    billingCycleDay: options.billingCycleDay ?? 1,
    projects: new Map(),
    deployments: new Map(),
    charges: new Map(),
    plannedEnds: [],
    readyHooks: new Set(),
    timers: new Set(),
    // Deployment and env timestamps must be strictly increasing: pagination
    // cursors are timestamps, and two items sharing one would be skipped.
    now: () => (clock = Math.max(Date.now(), clock + 1)),
  };
}

export const resolveAccount = (
  { user, teams }: VercelStore,
  req: FakeRequest,
): string | undefined => {
  const teamId = req.query.get("teamId");
  const slug = req.query.get("slug");
  if (!teamId && !slug) return user.id;
  const team = teams.find((t) => (teamId ? t.id === teamId : t.slug === slug));
  return team?.id;
};

export const accountSlug = ({ user, teams }: VercelStore, accountId: string) =>
  teams.find((t) => t.id === accountId)?.slug ?? user.username;

export const findProject = ({ projects }: VercelStore, accountId: string, idOrName: string) => {
  for (const p of projects.values())
    if (p.accountId === accountId && (p.id === idOrName || p.name === idOrName)) return p;
  return undefined;
};

export const anyProject = ({ projects }: VercelStore, idOrName: string) => {
  for (const p of projects.values()) if (p.id === idOrName || p.name === idOrName) return p;
  throw new Error(`no project "${idOrName}" in the Vercel fake; seed it with addProject()`);
};

export const findDeployment = (
  { deployments }: VercelStore,
  accountId: string,
  idOrUrl: string,
) => {
  const host = idOrUrl.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  for (const d of deployments.values())
    if (d.accountId === accountId && (d.id === idOrUrl || d.url === host)) return d;
  return undefined;
};
