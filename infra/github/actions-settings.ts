/**
 * GitHub Actions settings of the app repository: deployment environments
 * (required reviewers, wait timer, branch rule), Actions secrets and Actions
 * variables, at repository or environment scope.
 *
 * Secret values come only from Pulumi secrets (secret config or a rotated
 * credential). They are passed in the provider's plaintext `value` field —
 * the provider encrypts them with the repository's public key before they
 * leave the machine, and Pulumi stores them encrypted in state. No
 * `ignoreChanges`: a changed value must reach GitHub.
 *
 * pulumi-github#223 / #250: a changed secret value used to be applied as a
 * replacement, and because old and new secret share one name, the delete of
 * the old one removed the freshly created new one. Every secret here is
 * therefore `deleteBeforeReplace`: at worst the secret is briefly absent
 * during the replacement, never silently gone afterwards.
 */
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import type { PlannedEnvironment } from "./plan";

/** A secret to set, with its value already resolved to a Pulumi secret. */
export interface ResolvedSecret {
  /** Secret name as workflows read it. */
  name: string;
  /** GitHub environment scope; repository scope when absent. */
  environment?: string;
  /** The value (made secret by the component whatever it is given). */
  value: pulumi.Output<string>;
}

/** A variable to set: never a secret. */
export interface ResolvedVariable {
  /** Variable name as workflows read it. */
  name: string;
  /** GitHub environment scope; repository scope when absent. */
  environment?: string;
  /** A non-secret value. */
  value: pulumi.Input<string>;
}

export interface GithubActionsSettingsArgs {
  /** Repository name without the owner; the owner comes from the GitHub provider. */
  repository: string;
  /** Environments to manage (see `planGithub`). */
  environments: PlannedEnvironment[];
  /** Secrets to set. */
  secrets: ResolvedSecret[];
  /** Variables to set. */
  variables: ResolvedVariable[];
}

export class GithubActionsSettings extends pulumi.ComponentResource {
  /** Environment names managed here. */
  readonly environmentNames: string[];
  /** `scope/NAME` of every secret set (names only). */
  readonly secretNames: string[];
  /** `scope/NAME` of every variable set. */
  readonly variableNames: string[];

  private readonly args: GithubActionsSettingsArgs;
  private readonly environments = new Map<string, github.RepositoryEnvironment>();

  constructor(
    name: string,
    args: GithubActionsSettingsArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("runbooks:github:GithubActionsSettings", name, {}, opts);
    this.args = args;
    for (const env of args.environments)
      this.environments.set(env.name, this.createEnvironment(name, env));
    for (const secret of args.secrets) this.createSecret(name, secret);
    for (const variable of args.variables) this.createVariable(name, variable);
    const scoped = (x: { name: string; environment?: string }) =>
      `${x.environment ?? "repository"}/${x.name}`;
    this.environmentNames = args.environments.map((e) => e.name);
    this.secretNames = args.secrets.map(scoped);
    this.variableNames = args.variables.map(scoped);
    this.registerOutputs({
      environmentNames: this.environmentNames,
      secretNames: this.secretNames,
      variableNames: this.variableNames,
    });
  }

  private teamIds(name: string, env: PlannedEnvironment): pulumi.Output<number>[] {
    return env.reviewerTeamSlugs.map((slug) =>
      github.getTeamOutput({ slug, summaryOnly: true }, { parent: this }).id.apply((id) => {
        const numeric = Number(id);
        if (!Number.isInteger(numeric))
          throw new Error(`${name}: GitHub returned a non-numeric id for team '${slug}'`);
        return numeric;
      }),
    );
  }

  private createEnvironment(name: string, env: PlannedEnvironment): github.RepositoryEnvironment {
    const teams = this.teamIds(name, env);
    const hasReviewers = env.reviewerUserIds.length + teams.length > 0;
    if (env.name === "production" && !hasReviewers) {
      pulumi.log.warn(
        `GitHub environment 'production' of ${this.args.repository} has no required reviewers; anyone who can push may deploy`,
        this,
      );
    }
    return new github.RepositoryEnvironment(
      `${name}-env-${env.name}`,
      {
        repository: this.args.repository,
        environment: env.name,
        waitTimer: env.waitTimerMinutes,
        preventSelfReview: hasReviewers,
        canAdminsBypass: false,
        reviewers: hasReviewers ? [{ users: env.reviewerUserIds, teams }] : [],
        deploymentBranchPolicy: env.protectedBranchesOnly
          ? { protectedBranches: true, customBranchPolicies: false }
          : undefined,
      },
      { parent: this },
    );
  }

  private environmentResource(environment: string): github.RepositoryEnvironment {
    const resource = this.environments.get(environment);
    if (!resource)
      throw new Error(
        `environment '${environment}' is not managed by this component; declare it under github.environments`,
      );
    return resource;
  }

  private createSecret(name: string, secret: ResolvedSecret): void {
    const value = pulumi.secret(secret.value);
    const opts: pulumi.CustomResourceOptions = {
      parent: this,
      deleteBeforeReplace: true,
      additionalSecretOutputs: ["value"],
    };
    if (secret.environment === undefined) {
      new github.ActionsSecret(
        `${name}-secret-${secret.name}`,
        { repository: this.args.repository, secretName: secret.name, value },
        opts,
      );
      return;
    }
    new github.ActionsEnvironmentSecret(
      `${name}-secret-${secret.environment}-${secret.name}`,
      {
        repository: this.args.repository,
        environment: secret.environment,
        secretName: secret.name,
        value,
      },
      { ...opts, dependsOn: [this.environmentResource(secret.environment)] },
    );
  }

  private createVariable(name: string, variable: ResolvedVariable): void {
    if (variable.environment === undefined) {
      new github.ActionsVariable(
        `${name}-var-${variable.name}`,
        { repository: this.args.repository, variableName: variable.name, value: variable.value },
        { parent: this },
      );
      return;
    }
    new github.ActionsEnvironmentVariable(
      `${name}-var-${variable.environment}-${variable.name}`,
      {
        repository: this.args.repository,
        environment: variable.environment,
        variableName: variable.name,
        value: variable.value,
      },
      { parent: this, dependsOn: [this.environmentResource(variable.environment)] },
    );
  }
}
