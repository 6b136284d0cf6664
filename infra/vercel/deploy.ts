/**
 * The Vercel area: the project and its environment variables per target,
 * secrets as `sensitive` variables whose values come from secret config or
 * from the rotation area.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { LoadedStackConfig } from "../config/index";
import type { StackPlan } from "../plan";
import { VercelApp } from "./app";

export interface VercelDeps {
  plan: StackPlan;
  /** Current values of rotated credentials by name (the rotation area's output). */
  rotated: Record<string, pulumi.Output<string>>;
  /** Receives the component holding the variables, so later steps (the rotation's redeploy) can depend on it. */
  sinks?: pulumi.Resource[];
}

/** Stack outputs of the area: variable names, targets and flags, never values. */
export interface VercelOutputs {
  projectId: pulumi.Output<string>;
  projectName: pulumi.Output<string>;
  env: { key: string; targets: string[]; gitBranch?: string; sensitive: boolean }[];
}

export function deployVercel(
  config: LoadedStackConfig,
  { plan, rotated, sinks }: VercelDeps,
): VercelOutputs | undefined {
  if (!plan.vercel || !config.vercel) return undefined;
  const app = new VercelApp("vercel", {
    project: config.vercel,
    env: plan.vercel,
    secret: (key) => config.secret(key),
    rotated,
  });
  sinks?.push(app);
  return { projectId: app.projectId, projectName: app.projectName, env: app.envSummary };
}
