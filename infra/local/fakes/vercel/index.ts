/**
 * A local stand-in for the parts of the Vercel REST API this project calls:
 * projects, environment variables, deployments (redeploy, status, list,
 * rollback, promote) and FOCUS billing charges.
 *
 * Shapes follow `@vercel/sdk`'s response schemas (the SDK validates every 2xx
 * body, so the SDK is the check on this folder) and the REST reference. Facts
 * the SDK cannot tell are noted where they are used, with their source.
 *
 * `server.ts` starts it; each concern has its own file: `store.ts` (state),
 * `dialect.ts` and `errors.ts` (auth, rate limits, error bodies),
 * `projects.ts`, `env.ts` / `env-routes.ts`, `deployments.ts` /
 * `deployment-bodies.ts` / `deployment-routes.ts`, `billing.ts`, and
 * `controls.ts` (the methods tests call).
 */
export { startVercelFake } from "./server";
export type {
  DeploymentReadyEvent,
  DeploymentView,
  EnvTarget,
  EnvType,
  FailedEndState,
  FocusCharge,
  ProjectView,
  ReadyState,
  SeedDeployment,
  SeedEnv,
  SeedProject,
  VercelAccount,
  VercelFake,
  VercelFakeOptions,
} from "./types";
