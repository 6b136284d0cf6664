/**
 * The Vercel environment variables, decided from config without Pulumi: where
 * each value comes from, whether it is `sensitive`, and the checks the config
 * schema cannot make on its own.
 */
import {
  CONFIG_NAMESPACE,
  ConfigError,
  type ConfigContext,
  type VercelConfig,
  type VercelEnvVarConfig,
} from "../config/index";

export type VercelEnvSource =
  | { kind: "plain"; value: string }
  | { kind: "secret"; secretRef: string }
  | { kind: "rotated"; rotationRef: string };

export interface PlannedVercelEnvVar {
  /** Stable suffix of the Pulumi resource name: key, targets and branch. */
  resourceSuffix: string;
  key: string;
  targets: VercelEnvVarConfig["targets"];
  gitBranch?: string;
  comment?: string;
  /** True for every value that comes from a secret; Vercel then never shows or returns it. */
  sensitive: boolean;
  source: VercelEnvSource;
  /** The config key of this entry, for errors. */
  configKey: string;
}

/** Vercel's `deploymentType` for each `previewProtection` setting. */
export const PREVIEW_PROTECTION: Record<VercelConfig["previewProtection"], string> = {
  standard_protection: "standardProtectionNew",
  all_deployments: "allDeployments",
  none: "none",
};

function sourceOf(e: VercelEnvVarConfig): VercelEnvSource {
  if (e.secretRef !== undefined) return { kind: "secret", secretRef: e.secretRef };
  if (e.rotationRef !== undefined) return { kind: "rotated", rotationRef: e.rotationRef };
  return { kind: "plain", value: e.value ?? "" };
}

/**
 * Plan every variable. `rotated` names the credentials whose rotated value is
 * available to this program (see `deployPlatform`'s `opts.rotated`).
 */
export function planVercelEnv(
  env: VercelEnvVarConfig[],
  rotated: ReadonlySet<string>,
  context: ConfigContext,
): PlannedVercelEnvVar[] {
  const problems: ConfigError["problems"] = [];
  const edit = `edit '${CONFIG_NAMESPACE}:vercel' in ${context.stackFile}`;
  const claimed = new Map<string, number>();

  const planned = env.map((e, i): PlannedVercelEnvVar => {
    const configKey = `${CONFIG_NAMESPACE}:vercel.env[${i}]`;
    const source = sourceOf(e);
    const sensitive = source.kind !== "plain";
    if (sensitive && e.targets.includes("development")) {
      problems.push({
        key: `${configKey}.targets`,
        message: `${e.key} holds a secret, and Vercel cannot store sensitive variables for the development target (they could be pulled to laptops in plain text)`,
        fix: `${edit}: remove 'development' from the targets of ${e.key}; give developers a separate development-only credential`,
      });
    }
    if (source.kind === "rotated" && !rotated.has(source.rotationRef)) {
      problems.push({
        key: `${configKey}.rotationRef`,
        message: `${e.key} uses the rotated credential '${source.rotationRef}', but no rotated value for it exists in this program yet`,
        fix: `turn on features.rotation so the rotation component provides '${source.rotationRef}', or use secretRef in ${context.stackFile} until it does`,
      });
    }
    for (const target of e.targets) {
      const slot = `${e.key}|${target}|${e.gitBranch ?? ""}`;
      const other = claimed.get(slot);
      if (other !== undefined) {
        problems.push({
          key: `${configKey}.targets`,
          message: `${e.key} is already set for target '${target}'${e.gitBranch ? ` on branch ${e.gitBranch}` : ""} by vercel.env[${other}]; Vercel keeps one value per key and target`,
          fix: `${edit}: remove '${target}' from one of the two entries`,
        });
      }
      claimed.set(slot, i);
    }
    const targets = [...e.targets].sort();
    return {
      resourceSuffix: `${e.key}-${targets.join("+")}${e.gitBranch ? `@${e.gitBranch}` : ""}`,
      key: e.key,
      targets,
      gitBranch: e.gitBranch,
      comment: e.comment,
      sensitive,
      source,
      configKey,
    };
  });
  if (problems.length > 0) throw new ConfigError(context, problems);
  return planned;
}
