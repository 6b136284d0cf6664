/**
 * GitHub Actions settings and workflow files: environments with reviewers,
 * secrets only from Pulumi secrets (never in a variable), the delete-first
 * replacement that avoids pulumi-github#223, and committed workflow files.
 */
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { GithubActionsSettings } from "../../../infra/github/actions-settings";
import { WorkflowFiles } from "../../../infra/github/workflow-files";
import { renderHealthWorkflow } from "../../../infra/github/workflows";
import {
  installMocks,
  isWrappedSecret,
  optionRecorder,
  settle,
  unwrap,
} from "../../support/mocks/mocks";

const recorder = installMocks({ stack: "production" });
const SECRET = "FAKE-deploy-hook-s3cr3t";
let counter = 0;

beforeEach(() => recorder.reset());

const environments = [
  {
    name: "staging",
    reviewerUserIds: [],
    reviewerTeamSlugs: [],
    waitTimerMinutes: 0,
    protectedBranchesOnly: false,
  },
  {
    name: "production",
    reviewerUserIds: [101],
    reviewerTeamSlugs: ["platform-leads"],
    waitTimerMinutes: 5,
    protectedBranchesOnly: true,
  },
];

async function deploy(args: Partial<ConstructorParameters<typeof GithubActionsSettings>[1]> = {}) {
  const n = ++counter;
  const options = optionRecorder();
  const provider = new github.Provider(`github${n}`, { owner: "acme" });
  const settings = new GithubActionsSettings(
    `gh${n}`,
    {
      repository: "acme-app",
      environments,
      secrets: [
        { name: "VERCEL_DEPLOY_HOOK_SECRET", value: pulumi.secret(SECRET) },
        {
          name: "SUPABASE_DB_URL",
          environment: "production",
          value: pulumi.output("plain-input-is-made-secret"),
        },
      ],
      variables: [
        { name: "BACKUP_BUCKET_REGION", value: "eu-west-1" },
        {
          name: "HEALTH_URL",
          environment: "production",
          value: "https://app.acme.example/api/health",
        },
      ],
      ...args,
    },
    { providers: [provider], transformations: [options.transformation] },
  );
  await settle();
  return { settings, name: `gh${n}`, options: options.options, provider: `github${n}` };
}

describe("GithubActionsSettings: environments", () => {
  it("requires the configured reviewers for production, resolving team slugs to ids", async () => {
    const { name, provider } = await deploy();
    const prod = recorder.named(`${name}-env-production`);
    const call = recorder.calls.find((c) => c.token === "github:index/getTeam:getTeam")!;
    expect(call.inputs).toEqual({ slug: "platform-leads", summaryOnly: true });
    expect(call.provider).toContain(`::${provider}::`);
    expect(prod.inputs).toMatchObject({
      repository: "acme-app",
      environment: "production",
      waitTimer: 5,
      preventSelfReview: true,
      canAdminsBypass: false,
      reviewers: [{ users: [101], teams: [4014] }],
      deploymentBranchPolicy: { protectedBranches: true, customBranchPolicies: false },
    });
    const staging = recorder.named(`${name}-env-staging`);
    expect(staging.inputs).toMatchObject({ reviewers: [], preventSelfReview: false });
    expect(staging.inputs.deploymentBranchPolicy).toBeUndefined();
  });

  it("warns when production has no required reviewers", async () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    await deploy({
      environments: [{ ...environments[1]!, reviewerUserIds: [], reviewerTeamSlugs: [] }],
      secrets: [],
      variables: [],
    });
    expect(warn.mock.calls.map((c) => c[0])).toEqual([
      expect.stringContaining("'production' of acme-app has no required reviewers"),
    ]);
    warn.mockRestore();
  });
});

describe("GithubActionsSettings: secrets and variables", () => {
  it("sets secrets through the plaintext value field, always as Pulumi secrets, at repository and environment scope", async () => {
    const { name } = await deploy();
    const repo = recorder.one("github:index/actionsSecret:ActionsSecret");
    expect(repo.inputs).toMatchObject({
      repository: "acme-app",
      secretName: "VERCEL_DEPLOY_HOOK_SECRET",
    });
    expect(isWrappedSecret(repo.inputs.value)).toBe(true);
    expect(unwrap(repo.inputs.value)).toBe(SECRET);
    const env = recorder.named(`${name}-secret-production-SUPABASE_DB_URL`);
    expect(env.type).toBe("github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret");
    expect(env.inputs).toMatchObject({ environment: "production", secretName: "SUPABASE_DB_URL" });
    expect(isWrappedSecret(env.inputs.value)).toBe(true);
    for (const s of [repo, env])
      expect(
        Object.keys(s.inputs).filter((k) => /plaintextValue|encryptedValue|valueEncrypted/.test(k)),
      ).toEqual([]);
  });

  it("replaces a secret by deleting first, never ignores changes, and waits for its environment", async () => {
    const { name, options } = await deploy();
    for (const resource of [
      `${name}-secret-VERCEL_DEPLOY_HOOK_SECRET`,
      `${name}-secret-production-SUPABASE_DB_URL`,
    ]) {
      const opts = options.get(resource)!;
      expect(opts.deleteBeforeReplace, resource).toBe(true);
      expect(opts.ignoreChanges, resource).toBeUndefined();
    }
    const dependsOn = options.get(`${name}-secret-production-SUPABASE_DB_URL`)!
      .dependsOn as pulumi.Resource[];
    const envUrn = await new Promise((r) => dependsOn[0]!.urn.apply(r));
    expect(envUrn).toContain(`${name}-env-production`);
  });

  it("puts variables in plain text at their scope, never as secrets", async () => {
    const { name } = await deploy();
    const repo = recorder.one("github:index/actionsVariable:ActionsVariable");
    expect(repo.inputs).toEqual({
      repository: "acme-app",
      variableName: "BACKUP_BUCKET_REGION",
      value: "eu-west-1",
    });
    const env = recorder.named(`${name}-var-production-HEALTH_URL`);
    expect(env.inputs).toEqual({
      repository: "acme-app",
      environment: "production",
      variableName: "HEALTH_URL",
      value: "https://app.acme.example/api/health",
    });
  });

  it("refuses a secret for an environment it does not manage", () => {
    expect(
      () =>
        new GithubActionsSettings("gh-bad", {
          repository: "acme-app",
          environments: [],
          secrets: [{ name: "X", environment: "qa", value: pulumi.secret("x") }],
          variables: [],
        }),
    ).toThrow(
      "environment 'qa' is not managed by this component; declare it under github.environments",
    );
  });

  it("lists names only in its outputs", async () => {
    const { settings } = await deploy();
    expect(settings.secretNames).toEqual([
      "repository/VERCEL_DEPLOY_HOOK_SECRET",
      "production/SUPABASE_DB_URL",
    ]);
    expect(settings.variableNames).toEqual([
      "repository/BACKUP_BUCKET_REGION",
      "production/HEALTH_URL",
    ]);
  });
});

describe("WorkflowFiles", () => {
  it("commits each file to the configured branch without overwriting an existing one", async () => {
    const provider = new github.Provider("github-files", { owner: "acme" });
    const file = renderHealthWorkflow({
      stack: "production",
      url: "https://app.acme.example/api/health",
    });
    const files = new WorkflowFiles(
      "wf",
      { repository: "acme-app", branch: "main", files: [file], stack: "production" },
      { providers: [provider] },
    );
    await settle();
    const committed = recorder.one("github:index/repositoryFile:RepositoryFile");
    expect(committed.inputs).toEqual({
      repository: "acme-app",
      branch: "main",
      file: ".github/workflows/runbooks-health-production.yml",
      content: file.content,
      commitMessage:
        "runbooks: update .github/workflows/runbooks-health-production.yml (stack production)",
      overwriteOnCreate: false,
    });
    expect(committed.provider).toContain("::github-files::");
    expect(files.paths).toEqual([file.path]);
  });
});
