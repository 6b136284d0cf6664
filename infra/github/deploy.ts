/**
 * The GitHub area: Actions environments (with reviewers), secrets and
 * variables, and the backup and health-check workflows — committed to the app
 * repository, or kept in this repository's `.github/workflows/`.
 */
import * as github from "@pulumi/github";
import type * as pulumi from "@pulumi/pulumi";
import type { BackupStorageOutputs } from "../backup-storage/deploy";
import type { LoadedStackConfig } from "../config/index";
import type { StackPlan } from "../plan";
import {
  GithubActionsSettings,
  type ResolvedSecret,
  type ResolvedVariable,
} from "./actions-settings";
import { WorkflowFiles } from "./workflow-files";
import { appWorkflowFiles, type WorkflowFile } from "./workflows";

export interface GithubDeps {
  plan: StackPlan;
  /** Current values of rotated credentials by name (the rotation area's output). */
  rotated: Record<string, pulumi.Output<string>>;
  /** Where the backup workflow writes, when backup storage is on. */
  backupStorage?: BackupStorageOutputs;
  /** Receives the component holding the secrets, so later steps (the rotation's revocation) can depend on it. */
  sinks?: pulumi.Resource[];
}

/** Stack outputs of the area: names only, never values. */
export interface GithubOutputs {
  repository: string;
  environments: string[];
  secrets: string[];
  variables: string[];
  /** Where the backup and health-check workflows live, and their paths. */
  workflowFiles: { location: string; paths: string[] };
}

export function deployGithub(
  config: LoadedStackConfig,
  { plan, rotated, backupStorage, sinks }: GithubDeps,
): GithubOutputs | undefined {
  const gh = config.github;
  const githubPlan = plan.github;
  if (!gh || !githubPlan) return undefined;
  const provider = new github.Provider("github", { owner: gh.owner });

  const secrets: ResolvedSecret[] = githubPlan.secrets.map((s) => ({
    name: s.name,
    environment: s.environment,
    value:
      s.source.kind === "secret"
        ? config.secret(s.source.secretRef)
        : rotated[s.source.rotationRef]!,
  }));
  const variables: ResolvedVariable[] = githubPlan.variables.map((v) => ({ ...v }));
  const backupWorkflow = backupStorage ? plan.backupWorkflow : undefined;
  const files: WorkflowFile[] = appWorkflowFiles({
    backup: backupWorkflow,
    health: plan.healthWorkflow,
  });
  if (backupWorkflow && backupStorage) {
    const { names, environment } = backupWorkflow;
    secrets.push({
      name: names.databaseUrl,
      environment,
      value: config.secret(config.database.urlSecretRef),
    });
    variables.push(
      { name: names.region, environment, value: config.aws!.region },
      { name: names.bucket, environment, value: backupStorage.bucketName },
      { name: names.prefix, environment, value: config.backup.prefix },
      { name: names.kmsKeyArn, environment, value: backupStorage.kmsKeyArn },
      { name: names.roleArn, environment, value: backupStorage.roleArn },
    );
  }

  const settings = new GithubActionsSettings(
    "github",
    {
      repository: githubPlan.repository,
      environments: githubPlan.environments,
      secrets,
      variables,
    },
    { providers: [provider] },
  );
  sinks?.push(settings);

  let location = "this repository (.github/workflows/)";
  if (gh.commitWorkflows && files.length > 0) {
    new WorkflowFiles(
      "workflows",
      { repository: githubPlan.repository, branch: gh.workflowBranch, files, stack: config.stack },
      // Environments, variables and secrets first: a committed workflow may run at once.
      { providers: [provider], dependsOn: [settings] },
    );
    location = `${gh.owner}/${gh.repository}@${gh.workflowBranch}`;
  }
  return {
    repository: `${gh.owner}/${gh.repository}`,
    environments: settings.environmentNames,
    secrets: settings.secretNames,
    variables: settings.variableNames,
    workflowFiles: { location, paths: files.map((f) => f.path) },
  };
}
