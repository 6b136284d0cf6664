/**
 * GitHub Actions settings decided from config without Pulumi: environments,
 * secrets and variables, with the checks the config schema cannot make alone
 * (scopes, collisions with the variables this program generates for its own
 * workflows, reviewer limits, values that look like secrets).
 */
import {
  CONFIG_NAMESPACE,
  ConfigError,
  type ConfigContext,
  type GithubConfig,
} from "../config/index";
import { secretLookingValue } from "../config/shared";

/** GitHub allows at most six required reviewers (users and teams together) per environment. */
export const MAX_REVIEWERS = 6;

export interface PlannedEnvironment {
  name: string;
  reviewerUserIds: number[];
  reviewerTeamSlugs: string[];
  waitTimerMinutes: number;
  protectedBranchesOnly: boolean;
}

export type GithubSecretSource =
  { kind: "secret"; secretRef: string } | { kind: "rotated"; rotationRef: string };

export interface PlannedSecret {
  name: string;
  environment?: string;
  source: GithubSecretSource;
  /** The config key of this entry, for errors. */
  configKey: string;
}

export interface PlannedVariable {
  name: string;
  environment?: string;
  value: string;
}

export interface GithubPlan {
  repository: string;
  environments: PlannedEnvironment[];
  secrets: PlannedSecret[];
  variables: PlannedVariable[];
}

/** A name this program sets itself (for its workflows), so config must not declare it too. */
export interface GeneratedName {
  kind: "secret" | "variable";
  name: string;
  environment?: string;
  /** Why it exists, for the error. */
  usedBy: string;
}

/** Re-exported for the callers that knew it here; config validates every plain value with it. */
export { secretLookingValue };

export function planGithub(
  github: GithubConfig,
  input: { rotated: ReadonlySet<string>; generated: GeneratedName[] },
  context: ConfigContext,
): GithubPlan {
  const problems: ConfigError["problems"] = [];
  const edit = `edit '${CONFIG_NAMESPACE}:github' in ${context.stackFile}`;
  const scope = (environment?: string) =>
    environment ? `environment '${environment}'` : "the repository";

  github.environments.forEach((env, i) => {
    const count = env.reviewers.users.length + env.reviewers.teams.length;
    if (count > MAX_REVIEWERS) {
      problems.push({
        key: `${CONFIG_NAMESPACE}:github.environments[${i}].reviewers`,
        message: `${count} reviewers for '${env.name}'; GitHub allows at most ${MAX_REVIEWERS} (users and teams together)`,
        fix: `${edit}: use a team instead of individual users`,
      });
    }
  });
  const environmentNames = github.environments.map((e) => e.name);
  const duplicates = environmentNames.filter((n, i) => environmentNames.indexOf(n) !== i);
  for (const name of new Set(duplicates)) {
    problems.push({
      key: `${CONFIG_NAMESPACE}:github.environments`,
      message: `environment '${name}' is declared twice`,
      fix: `${edit}: keep one entry`,
    });
  }

  const taken = new Map<string, string>();
  const claim = (
    kind: "secret" | "variable",
    name: string,
    environment: string | undefined,
    by: string,
    key: string,
  ) => {
    const slot = `${kind}|${environment ?? ""}|${name}`;
    const previous = taken.get(slot);
    if (previous !== undefined) {
      problems.push({
        key,
        message: `${kind} ${name} in ${scope(environment)} is also set by ${previous}`,
        fix: `${edit}: rename or remove one of them`,
      });
    }
    taken.set(slot, by);
  };
  for (const g of input.generated)
    claim(g.kind, g.name, g.environment, g.usedBy, `${CONFIG_NAMESPACE}:github`);

  const secrets = github.secrets.map((s, i): PlannedSecret => {
    const configKey = `${CONFIG_NAMESPACE}:github.secrets[${i}]`;
    claim("secret", s.name, s.environment, configKey, `${configKey}.name`);
    if (s.rotationRef !== undefined && !input.rotated.has(s.rotationRef)) {
      problems.push({
        key: `${configKey}.rotationRef`,
        message: `${s.name} uses the rotated credential '${s.rotationRef}', but no rotated value for it exists in this program yet`,
        fix: `turn on features.rotation so the rotation component provides '${s.rotationRef}', or use secretRef in ${context.stackFile} until it does`,
      });
    }
    const source: GithubSecretSource =
      s.secretRef !== undefined
        ? { kind: "secret", secretRef: s.secretRef }
        : { kind: "rotated", rotationRef: s.rotationRef! };
    return { name: s.name, environment: s.environment, source, configKey };
  });

  const variables = github.variables.map((v, i): PlannedVariable => {
    const configKey = `${CONFIG_NAMESPACE}:github.variables[${i}]`;
    claim("variable", v.name, v.environment, configKey, `${configKey}.name`);
    const looksLike = secretLookingValue(v.value);
    if (looksLike !== undefined) {
      // The message names the kind of value, never the value.
      problems.push({
        key: `${configKey}.value`,
        message: `the value of ${v.name} looks like ${looksLike}; GitHub variables are readable by anyone with access to the repository`,
        fix: `store it with 'pulumi config set --secret <name> …', declare it under github.secrets with secretRef, and rotate it (it is in your git history)`,
      });
    }
    return { name: v.name, environment: v.environment, value: v.value };
  });

  if (problems.length > 0) throw new ConfigError(context, problems);
  return {
    repository: github.repository,
    environments: github.environments.map((e) => ({
      name: e.name,
      reviewerUserIds: e.reviewers.users,
      reviewerTeamSlugs: e.reviewers.teams,
      waitTimerMinutes: e.waitTimerMinutes,
      protectedBranchesOnly: e.protectedBranchesOnly,
    })),
    secrets,
    variables,
  };
}
