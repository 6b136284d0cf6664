/**
 * The Vercel project and its environment variables: secret-backed variables
 * are always `sensitive`, plain ones never carry a secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it } from "vitest";
import type { VercelConfig, VercelEnvVarConfig } from "../../../infra/config/index";
import { VercelApp } from "../../../infra/vercel/app";
import { planVercelEnv } from "../../../infra/vercel/env-plan";
import {
  installMocks,
  isWrappedSecret,
  optionRecorder,
  resolve,
  settle,
  unwrap,
} from "../../support/mocks/mocks";

const recorder = installMocks({ stack: "staging" });
const configContext = { stack: "staging", stackFile: "stacks/Pulumi.staging.yaml" };
const SECRETS: Record<string, string> = {
  serviceRoleKey: "FAKE-service-role-s3cr3t",
  sentryToken: "FAKE-sentry-s3cr3t",
};
const ROTATED = "postgres://app_b:FAKE-rotated-s3cr3t@db.fake.supabase.co/postgres";
let counter = 0;

beforeEach(() => recorder.reset());

const project: VercelConfig = {
  projectName: "acme-app-staging",
  teamId: "team_acme",
  framework: "nextjs",
  rootDirectory: "apps/web",
  gitRepository: { type: "github", repo: "acme/acme-app", productionBranch: "staging" },
  previewProtection: "all_deployments",
  env: [],
};

const env: VercelEnvVarConfig[] = [
  {
    key: "NEXT_PUBLIC_SUPABASE_URL",
    targets: ["production", "preview", "development"],
    value: "https://x.supabase.co",
  },
  {
    key: "SUPABASE_SERVICE_ROLE_KEY",
    targets: ["production", "preview"],
    secretRef: "serviceRoleKey",
  },
  { key: "DATABASE_URL", targets: ["production"], rotationRef: "app-db-login" },
  {
    key: "SENTRY_AUTH_TOKEN",
    targets: ["preview"],
    gitBranch: "release",
    secretRef: "sentryToken",
    comment: "source maps",
  },
];

async function deploy(p: VercelConfig = project, vars: VercelEnvVarConfig[] = env) {
  const options = optionRecorder();
  const name = `vercel${++counter}`;
  const app = new VercelApp(
    name,
    {
      project: p,
      env: planVercelEnv(vars, new Set(["app-db-login"]), configContext),
      secret: (key) => pulumi.secret(SECRETS[key]!),
      rotated: { "app-db-login": pulumi.secret(ROTATED) },
    },
    { transformations: [options.transformation] },
  );
  await settle();
  return { app, name, options: options.options };
}

const variables = () =>
  recorder.ofType("vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable");

describe("VercelApp: the project", () => {
  it("links the git repository, production branch, framework and root directory", async () => {
    const { app } = await deploy();
    const p = recorder.one("vercel:index/project:Project");
    expect(p.inputs).toMatchObject({
      name: "acme-app-staging",
      teamId: "team_acme",
      framework: "nextjs",
      rootDirectory: "apps/web",
      gitRepository: { type: "github", repo: "acme/acme-app", productionBranch: "staging" },
    });
    expect(await resolve(app.projectId)).toBe(p.id);
  });

  it.each([
    ["standard_protection", "standardProtectionNew"],
    ["all_deployments", "allDeployments"],
    ["none", "none"],
  ] as const)("maps previewProtection %s to Vercel's %s", async (setting, deploymentType) => {
    await deploy({ ...project, previewProtection: setting });
    expect(recorder.one("vercel:index/project:Project").inputs.vercelAuthentication).toEqual({
      deploymentType,
    });
  });
});

describe("VercelApp: environment variables", () => {
  it("makes every secret-backed variable sensitive and never a secret one plain", async () => {
    await deploy();
    const byKey = Object.fromEntries(variables().map((v) => [v.inputs.key, v]));
    expect(Object.keys(byKey).sort()).toEqual([
      "DATABASE_URL",
      "NEXT_PUBLIC_SUPABASE_URL",
      "SENTRY_AUTH_TOKEN",
      "SUPABASE_SERVICE_ROLE_KEY",
    ]);
    expect(byKey.NEXT_PUBLIC_SUPABASE_URL!.inputs.sensitive).toBe(false);
    for (const key of ["SUPABASE_SERVICE_ROLE_KEY", "DATABASE_URL", "SENTRY_AUTH_TOKEN"]) {
      expect(byKey[key]!.inputs.sensitive, key).toBe(true);
      expect(isWrappedSecret(byKey[key]!.inputs.value), key).toBe(true);
    }
    expect(
      variables()
        .filter((v) => v.inputs.sensitive === false)
        .map((v) => unwrap(v.inputs.value)),
    ).toEqual(["https://x.supabase.co"]);
  });

  it("takes values from secret config and from the rotated credential", async () => {
    await deploy();
    const value = (key: string) =>
      unwrap(variables().find((v) => v.inputs.key === key)!.inputs.value);
    expect(value("SUPABASE_SERVICE_ROLE_KEY")).toBe(SECRETS.serviceRoleKey);
    expect(value("SENTRY_AUTH_TOKEN")).toBe(SECRETS.sentryToken);
    expect(value("DATABASE_URL")).toBe(ROTATED);
  });

  it("sets targets, branch, comment, team and project on each variable", async () => {
    await deploy();
    const sentry = variables().find((v) => v.inputs.key === "SENTRY_AUTH_TOKEN")!;
    const projectId = recorder.one("vercel:index/project:Project").id;
    expect(sentry.inputs).toMatchObject({
      targets: ["preview"],
      gitBranch: "release",
      comment: "source maps",
      teamId: "team_acme",
      projectId,
    });
    expect(
      variables().find((v) => v.inputs.key === "NEXT_PUBLIC_SUPABASE_URL")!.inputs.targets,
    ).toEqual(["development", "preview", "production"]);
  });

  it("deletes before replacing, and declares sensitive values as secret outputs", async () => {
    const { name, options } = await deploy();
    const service = options.get(`${name}-env-SUPABASE_SERVICE_ROLE_KEY-preview+production`)!;
    expect(service.deleteBeforeReplace).toBe(true);
    expect(service.additionalSecretOutputs).toEqual(expect.arrayContaining(["value"]));
    expect(options.get(`${name}-env-SENTRY_AUTH_TOKEN-preview@release`)?.deleteBeforeReplace).toBe(
      true,
    );
  });

  it("summarizes the variables for the outputs without any value", async () => {
    const { app } = await deploy();
    expect(app.envSummary).toContainEqual({
      key: "DATABASE_URL",
      targets: ["production"],
      gitBranch: undefined,
      sensitive: true,
    });
    expect(JSON.stringify(app.envSummary)).not.toMatch(/FAKE|supabase\.co/);
  });

  it("fails with the config key when a rotated value is missing", () => {
    const plan = planVercelEnv([env[2]!], new Set(["app-db-login"]), configContext);
    expect(
      () =>
        new VercelApp("vercel-missing", {
          project,
          env: plan,
          secret: () => pulumi.secret("x"),
          rotated: {},
        }),
    ).toThrow("runbooks:vercel.env[0].rotationRef: no rotated value for 'app-db-login'");
  });
});
