/**
 * The rotation area decided from config without Pulumi: the credentials in
 * declaration order (the stagger chain), every sink of each (from
 * `vercel.env[].rotationRef` and `github.secrets[].rotationRef`, the one
 * place sinks are declared), the Vercel projects a rotation redeploys, and
 * the health gates.
 */
import { CONFIG_NAMESPACE, ConfigError, stackFileFor, type StackConfig } from "../config/index";
import type { GateSettings } from "./gate";
import { groupRoleDeclaration, type GroupRoleDeclaration } from "./postgres-roles";

export interface PlannedVercelSink {
  credential: string;
  slot: "current" | "previous";
  key: string;
  targets: ("production" | "preview" | "development")[];
  gitBranch?: string;
}

export interface PlannedGithubSink {
  credential: string;
  slot: "current" | "previous";
  name: string;
  environment?: string;
}

export interface PlannedCredential {
  name: string;
  kind: "postgres-login" | "supabase-secret-key" | "generic";
  config: StackConfig["rotation"]["credentials"][number];
  /** Where the value is written, for state, the audit log and the policy pack. */
  sinks: RotationSinkRef[];
  gateUrl: string;
  roles?: GroupRoleDeclaration;
}

/** One place a rotated value is written: the shape the policy pack reads (policies/contracts.ts). */
export interface RotationSinkRef {
  kind: "vercel-env" | "github-secret";
  /** `project/KEY (production, preview)` or `owner/repo:environment/NAME` (`owner/repo/NAME` for a repository secret). */
  target: string;
}

/**
 * The longest any value of a credential stays valid, in days: it is current
 * for up to the interval, then still accepted for the overlap.
 */
export function maxAgeDaysOf(c: { intervalDays: number; overlapMinutes: number }): number {
  return Math.round((c.intervalDays + c.overlapMinutes / 1440) * 1000) / 1000;
}

export interface RotationStackPlan {
  credentials: PlannedCredential[];
  vercelSinks: PlannedVercelSink[];
  githubSinks: PlannedGithubSink[];
  /** Vercel projects to redeploy after a rotation (those with a rotated variable). */
  vercelProjects: string[];
  gates: (GateSettings & { credentials: string[] })[];
}

function refOf(ref: string): { credential: string; slot: "current" | "previous" } {
  const [credential, slot] = ref.split(".");
  return { credential: credential!, slot: slot === "previous" ? "previous" : "current" };
}

export function planRotationStack(config: StackConfig & { stack: string }): RotationStackPlan {
  const r = config.rotation;
  const stackFile = stackFileFor(config.stack);
  const vercelSinks: PlannedVercelSink[] = (config.vercel?.env ?? []).flatMap((e) =>
    e.rotationRef
      ? [
          {
            ...refOf(e.rotationRef),
            key: e.key,
            targets: [...e.targets].sort(),
            ...(e.gitBranch ? { gitBranch: e.gitBranch } : {}),
          },
        ]
      : [],
  );
  const githubSinks: PlannedGithubSink[] = (config.github?.secrets ?? []).flatMap((s) =>
    s.rotationRef
      ? [
          {
            ...refOf(s.rotationRef),
            name: s.name,
            ...(s.environment ? { environment: s.environment } : {}),
          },
        ]
      : [],
  );
  const project = config.vercel?.projectName;
  const repo = config.github ? `${config.github.owner}/${config.github.repository}` : undefined;
  const problems: ConfigError["problems"] = [];
  const credentials = r.credentials.map((c, i): PlannedCredential => {
    const sinks: RotationSinkRef[] = [
      ...vercelSinks
        .filter((s) => s.credential === c.name)
        .map((s) => ({
          kind: "vercel-env" as const,
          target: `${project}/${s.key} (${s.targets.join(", ")}${s.gitBranch ? ` @${s.gitBranch}` : ""})`,
        })),
      ...githubSinks
        .filter((s) => s.credential === c.name)
        .map((s) => ({
          kind: "github-secret" as const,
          target: s.environment ? `${repo}:${s.environment}/${s.name}` : `${repo}/${s.name}`,
        })),
    ];
    if (c.healthGateUrl === undefined && r.gate.url === undefined)
      problems.push({
        key: `${CONFIG_NAMESPACE}:rotation.credentials[${i}].healthGateUrl`,
        message: `'${c.name}' has no health gate, and nothing is revoked before the app proves healthy with the new credential`,
        fix: `set its healthGateUrl, or rotation.gate.url, in ${stackFile}`,
      });
    if (sinks.length === 0)
      problems.push({
        key: `${CONFIG_NAMESPACE}:rotation.credentials[${i}]`,
        message: `'${c.name}' reaches no sink: nothing would ever use a rotated value`,
        fix: `reference it with rotationRef: ${c.name} from a runbooks:vercel.env entry or a runbooks:github.secrets entry in ${stackFile}, or remove it`,
      });
    return {
      name: c.name,
      kind: c.kind as PlannedCredential["kind"],
      config: c,
      sinks,
      gateUrl: (c.healthGateUrl ?? r.gate.url)!,
      ...(c.kind === "postgres-login" ? { roles: groupRoleDeclaration(c) } : {}),
    };
  });
  if (problems.length > 0) throw new ConfigError({ stack: config.stack, stackFile }, problems);
  const byUrl = new Map<string, string[]>();
  for (const c of credentials) byUrl.set(c.gateUrl, [...(byUrl.get(c.gateUrl) ?? []), c.name]);
  return {
    credentials,
    vercelSinks,
    githubSinks,
    vercelProjects: vercelSinks.length > 0 && project ? [project] : [],
    gates: [...byUrl].map(([url, names]) => ({
      url,
      passes: r.gate.passes,
      intervalSeconds: r.gate.intervalSeconds,
      timeoutSeconds: r.gate.timeoutSeconds,
      deadlineSeconds: r.gate.deadlineSeconds,
      credentials: names,
    })),
  };
}

/** A rollout's id: a short hash of every credential's current generation and when it became current. */
export function rolloutId(current: Record<string, { id: string; rotatedAt: string }>): string {
  const { createHash } = require("node:crypto") as typeof import("node:crypto");
  const text = Object.keys(current)
    .sort()
    .map((k) => `${k}=${current[k]!.id}@${current[k]!.rotatedAt}`)
    .join(",");
  return `r-${createHash("sha256").update(text).digest("hex").slice(0, 16)}`;
}
