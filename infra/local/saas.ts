/**
 * The SaaS stand-ins of the `local` stack: the Vercel, GitHub Actions secrets
 * and Supabase Management API fakes on loopback, seeded with what the stack
 * file declares (the Vercel project with a production deployment, the GitHub
 * repository and its environments, the Supabase project), and the stand-in
 * app behind the Vercel project: each READY production deployment starts the
 * app with that deployment's env (app-deployments.ts).
 *
 * `npm run local` runs this file as a long-lived service (its addresses and
 * generated tokens in .local/saas.json, mode 0600); the e2e tests start it
 * in-process. The fakes keep their data in memory: after a reboot, run
 * `npm run local:down` and `npm run local` again.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StackConfig } from "../config/index";
import { LOCAL_DIR } from "../lib/paths";
import { deployOnReady, startAppDeployments, type AppDeployments } from "./app-deployments";
import { startGitHubFake, type GitHubFake } from "./fakes/github";
import { startSupabaseFake, type SupabaseFake } from "./fakes/supabase";
import { startVercelFake, type FocusCharge, type VercelFake } from "./fakes/vercel/index";

export interface LocalSaasInfo {
  vercelUrl: string;
  githubUrl: string;
  supabaseUrl: string;
  appUrl: string;
  /** Secrets: the tokens each fake accepts. */
  tokens: { vercel: string; github: string; supabase: string };
}

export interface LocalSaas extends LocalSaasInfo {
  vercel: VercelFake;
  github: GitHubFake;
  supabase: SupabaseFake;
  app: AppDeployments;
  stop(): Promise<void>;
}

export interface LocalSaasOptions {
  config: Pick<StackConfig, "vercel" | "github" | "rotation">;
  /** What the app connects with until the first rotation redeploys it. */
  databaseUrl: string;
  ports?: { vercel?: number; app?: number };
  tokens?: LocalSaasInfo["tokens"];
}

export async function startLocalSaas(o: LocalSaasOptions): Promise<LocalSaas> {
  const tokens = o.tokens ?? {
    vercel: `vcp_local_${randomBytes(16).toString("hex")}`,
    github: `ghp_local${randomBytes(16).toString("hex")}`,
    supabase: `sbp_local_${randomBytes(16).toString("hex")}`,
  };
  const vercel = await startVercelFake({
    token: tokens.vercel,
    teams: o.config.vercel?.teamId ? [{ id: o.config.vercel.teamId, slug: "local-team" }] : [],
  });
  const github = await startGitHubFake({ token: tokens.github });
  const supabase = await startSupabaseFake({ accessToken: tokens.supabase });
  const app = await startAppDeployments({
    port: o.ports?.app,
    initialEnv: { DATABASE_URL: o.databaseUrl },
  });
  let unhook = () => {};
  if (o.config.vercel) {
    const project = o.config.vercel.projectName;
    vercel.addProject({ name: project, teamId: o.config.vercel.teamId });
    vercel.addDeployment(project, { target: "production" });
    const stop = deployOnReady(vercel, project, app);
    unhook = () => void stop();
    vercel.addCharges(o.config.vercel.teamId ?? vercel.user.id, monthToDateCharges(project));
  }
  if (o.config.github)
    github.addRepo(o.config.github.owner, o.config.github.repository, {
      environments: o.config.github.environments.map((e) => e.name),
    });
  for (const ref of new Set(
    o.config.rotation.credentials.flatMap((c) => (c.projectRef ? [c.projectRef] : [])),
  ))
    supabase.addProject({ ref, legacyEnabled: false });
  return {
    vercel,
    github,
    supabase,
    app,
    vercelUrl: vercel.url,
    githubUrl: github.url,
    supabaseUrl: supabase.url,
    appUrl: app.url,
    tokens,
    async stop() {
      unhook();
      await app.stop();
      await Promise.all([vercel.stop(), github.stop(), supabase.stop()]);
    },
  };
}

/**
 * A small, steady month to date of usage (functions and bandwidth, one row a
 * day), so `cost:guard -s local` reads real FOCUS rows from the stand-in and
 * stays under the local stack's budget.
 */
export function monthToDateCharges(project: string, now = new Date()): FocusCharge[] {
  const first = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const rows: FocusCharge[] = [];
  for (let day = first; day < today; day += 86_400_000)
    for (const [service, cost, unit] of [
      ["Serverless Functions", 0.3, "GB-Hours"],
      ["Fast Data Transfer", 0.1, "GB"],
    ] as const)
      rows.push({
        BilledCost: cost,
        BillingCurrency: "USD",
        ChargeCategory: "Usage",
        ChargePeriodStart: new Date(day).toISOString(),
        ChargePeriodEnd: new Date(day + 86_400_000).toISOString(),
        ConsumedQuantity: cost * 10,
        ConsumedUnit: unit,
        EffectiveCost: cost,
        PricingCategory: "Standard",
        PricingCurrency: "USD",
        PricingQuantity: cost * 10,
        PricingUnit: unit,
        ServiceName: service,
        ServiceProviderName: "Vercel",
        Tags: { ProjectName: project },
      });
  return rows;
}

/** The run-time settings of the `local` stack that point its rotation at the stand-ins. */
export function localRotationSettings(info: LocalSaasInfo): {
  plain: [string, string][];
  secrets: [string, string][];
} {
  return {
    plain: [
      ["rotation.vercelApi.url", info.vercelUrl],
      ["rotation.githubApi.url", info.githubUrl],
      ["rotation.supabaseApi.url", info.supabaseUrl],
      ["rotation.gate.url", `${info.appUrl}/api/health`],
    ],
    secrets: [
      ["vercelApiToken", info.tokens.vercel],
      ["githubToken", info.tokens.github],
      ["supabaseAccessToken", info.tokens.supabase],
    ],
  };
}

export const SAAS_STATE_FILE = join(LOCAL_DIR, "saas.json");

if (require.main === module) {
  // Run as the `local` stack's service: `tsx infra/local/saas.ts` with the stack's
  // owner URL in RUNBOOKS_LOCAL_DATABASE_URL (environment, never argv).
  (async () => {
    const { readStackConfig } =
      require("../config/stack-file") as typeof import("../config/stack-file");
    const { config } = readStackConfig({ stack: "local" });
    const saas = await startLocalSaas({
      config,
      databaseUrl: process.env.RUNBOOKS_LOCAL_DATABASE_URL ?? "",
      ports: { app: Number(process.env.RUNBOOKS_LOCAL_APP_PORT ?? 0) || undefined },
    });
    mkdirSync(LOCAL_DIR, { recursive: true });
    const info: LocalSaasInfo & { pid: number; launch?: string } = {
      vercelUrl: saas.vercelUrl,
      githubUrl: saas.githubUrl,
      supabaseUrl: saas.supabaseUrl,
      appUrl: saas.appUrl,
      tokens: saas.tokens,
      pid: process.pid,
      launch: process.env.RUNBOOKS_LOCAL_SAAS_LAUNCH,
    };
    writeFileSync(SAAS_STATE_FILE, JSON.stringify(info, null, 2) + "\n", { mode: 0o600 });
    console.log(
      `stand-ins ready: vercel ${saas.vercelUrl}, github ${saas.githubUrl}, supabase ${saas.supabaseUrl}, app ${saas.appUrl}`,
    );
    process.on("SIGTERM", () => void saas.stop().then(() => process.exit(0)));
  })().catch((err: Error) => {
    console.error(`the SaaS stand-ins failed to start: ${err.message}`);
    process.exit(2);
  });
}
