/**
 * The app's Vercel project and its environment variables.
 *
 * Every variable whose value comes from a secret (a secret config key or a
 * rotated credential) is created as Vercel's `sensitive` type: Vercel encrypts
 * it, never shows it in the dashboard and never returns it from the API.
 * Plain values are only ever the non-secret ones config gives inline.
 *
 * Vercel applies a changed variable only to new deployments, so a new value
 * alone changes nothing that is running. Redeploying after a rotation is the rotation area's job; this
 * component only declares the values.
 */
import * as pulumi from "@pulumi/pulumi";
import * as vercel from "@pulumiverse/vercel";
import type { VercelConfig } from "../config/index";
import { PREVIEW_PROTECTION, type PlannedVercelEnvVar } from "./env-plan";

export interface VercelAppArgs {
  /** Project settings from `runbooks:vercel`. */
  project: Pick<
    VercelConfig,
    "projectName" | "teamId" | "framework" | "rootDirectory" | "gitRepository" | "previewProtection"
  >;
  /** The variables to declare (see `planVercelEnv`). */
  env: PlannedVercelEnvVar[];
  /** Resolve a secret config key to its value (a Pulumi secret). */
  secret: (key: string) => pulumi.Output<string>;
  /** Current values of rotated credentials, by credential name. */
  rotated: Record<string, pulumi.Output<string>>;
}

export class VercelApp extends pulumi.ComponentResource {
  /** The Vercel project id. */
  readonly projectId: pulumi.Output<string>;
  /** The Vercel project name. */
  readonly projectName: pulumi.Output<string>;
  /** Declared variables without values: key, targets, branch and whether sensitive. */
  readonly envSummary: { key: string; targets: string[]; gitBranch?: string; sensitive: boolean }[];

  private readonly args: VercelAppArgs;

  constructor(name: string, args: VercelAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("runbooks:vercel:VercelApp", name, {}, opts);
    this.args = args;
    const project = this.createProject(name);
    for (const variable of args.env) this.createVariable(name, project, variable);
    this.projectId = project.id;
    this.projectName = project.name;
    this.envSummary = args.env.map((v) => ({
      key: v.key,
      targets: v.targets,
      gitBranch: v.gitBranch,
      sensitive: v.sensitive,
    }));
    this.registerOutputs({
      projectId: this.projectId,
      projectName: this.projectName,
      envSummary: this.envSummary,
    });
  }

  private createProject(name: string): vercel.Project {
    const p = this.args.project;
    return new vercel.Project(
      `${name}-project`,
      {
        name: p.projectName,
        teamId: p.teamId,
        framework: p.framework,
        rootDirectory: p.rootDirectory,
        gitRepository: {
          type: p.gitRepository.type,
          repo: p.gitRepository.repo,
          productionBranch: p.gitRepository.productionBranch,
        },
        vercelAuthentication: { deploymentType: PREVIEW_PROTECTION[p.previewProtection] },
      },
      { parent: this },
    );
  }

  private resolveValue(variable: PlannedVercelEnvVar): pulumi.Input<string> {
    const source = variable.source;
    switch (source.kind) {
      case "plain":
        return source.value;
      case "secret":
        return pulumi.secret(this.args.secret(source.secretRef));
      case "rotated": {
        const value = this.args.rotated[source.rotationRef];
        // planVercelEnv already refused this; kept so the component is safe on its own.
        if (value === undefined)
          throw new Error(
            `${variable.configKey}.rotationRef: no rotated value for '${source.rotationRef}'`,
          );
        return pulumi.secret(value);
      }
    }
  }

  private createVariable(
    name: string,
    project: vercel.Project,
    variable: PlannedVercelEnvVar,
  ): vercel.ProjectEnvironmentVariable {
    return new vercel.ProjectEnvironmentVariable(
      `${name}-env-${variable.resourceSuffix}`,
      {
        projectId: project.id,
        teamId: this.args.project.teamId,
        key: variable.key,
        value: this.resolveValue(variable),
        targets: variable.targets,
        gitBranch: variable.gitBranch,
        sensitive: variable.sensitive,
        comment: variable.comment,
      },
      {
        parent: this,
        additionalSecretOutputs: variable.sensitive ? ["value"] : [],
        // A replaced variable has the same key and target; Vercel refuses a second one, so delete first.
        deleteBeforeReplace: true,
      },
    );
  }
}
