/**
 * The Vercel fake's public types: its options, the seeds tests hand it, the
 * views it hands back and the `VercelFake` handle itself. They live apart
 * from the records in `store.ts` so that callers see only what they may
 * rely on, never a sealed value or an internal field.
 */
import type { FakeServerHandle, RateLimitOptions, RequestLogEntry } from "../http";

export type EnvType = "system" | "encrypted" | "plain" | "sensitive";
export type EnvTarget = "production" | "preview" | "development";
export type ReadyState =
  "QUEUED" | "INITIALIZING" | "BUILDING" | "READY" | "ERROR" | "CANCELED" | "BLOCKED";
export type FailedEndState = "CANCELED" | "ERROR" | "BLOCKED";

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
