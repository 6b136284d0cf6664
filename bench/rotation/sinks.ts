/**
 * Rotating 20 secrets into Vercel (production and preview) and GitHub, in one
 * rollout, against rotating them one by one — in the same run, on the local
 * stand-ins, through the real providers (no engine: this measures the
 * rotation's own API calls and waits).
 *
 *   npx tsx bench/rotation/sinks.ts [--secrets 20] [--build-ms 300]
 *
 * Reports API calls per secret by route, redeploys per project, and wall time.
 * Sensitive variables cannot target `development` on Vercel, so the two
 * deployable targets are used.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { deployOnReady, startAppDeployments } from "../../infra/local/app-deployments";
import { startGitHubFake } from "../../infra/local/fakes/github";
import { startVercelFake } from "../../infra/local/fakes/vercel/index";
import { createRolloutProvider } from "../../infra/rotation/providers/rollout";
import {
  createGithubSecretsProvider,
  createVercelEnvProvider,
} from "../../infra/rotation/providers/sinks";
import { randomSecret } from "../../infra/rotation/sources/generic";
import { REPO_ROOT } from "../../infra/lib/paths";

const { values } = parseArgs({
  options: {
    secrets: { type: "string", default: "20" },
    "build-ms": { type: "string", default: "300" },
  },
});
const N = Number(values.secrets);
const BUILD_MS = Number(values["build-ms"]);

async function world() {
  const vercel = await startVercelFake({ token: "vcp_bench", buildDurationMs: BUILD_MS });
  vercel.addProject({ name: "web" });
  vercel.addDeployment("web", { target: "production" });
  const github = await startGitHubFake({ token: "ghp_bench", repos: [{ owner: "o", repo: "r" }] });
  // The app needs no database here: the gate checks it answers (a stand-in URL that is always healthy).
  const app = await startAppDeployments({ initialEnv: {} });
  const unhook = deployOnReady(vercel, "web", app);
  const dir = mkdtempSync(join(tmpdir(), "bench-rotation-"));
  return {
    vercel,
    github,
    app,
    dir,
    async stop() {
      unhook();
      await app.stop();
      await vercel.stop();
      await github.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type World = Awaited<ReturnType<typeof world>>;

async function rollOut(w: World, names: string[], tag: string) {
  const audit = { kind: "file" as const, path: join(w.dir, "audit.jsonl") };
  const values = names.map((n) => ({ n, v: randomSecret(48, "alphanumeric") }));
  await createVercelEnvProvider().create({
    stack: "bench",
    apiUrl: w.vercel.url,
    token: "vcp_bench",
    project: "web",
    audit,
    providerVersion: "bench",
    variables: values.flatMap(({ n, v }) => [
      { key: n, targets: ["production" as const], value: v, credential: n, generationId: tag },
      { key: n, targets: ["preview" as const], value: v, credential: n, generationId: tag },
    ]),
  });
  await createGithubSecretsProvider().create({
    stack: "bench",
    apiUrl: w.github.url,
    token: "ghp_bench",
    owner: "o",
    repo: "r",
    audit,
    providerVersion: "bench",
    secrets: values.map(({ n, v }) => ({ name: n, value: v, credential: n, generationId: tag })),
  });
  // The health gate hits a static endpoint: the app here has no database.
  await createRolloutProvider().create({
    stack: "bench",
    carries: Object.fromEntries(names.map((n) => [n, tag])),
    rolloutId: `r-${tag}`,
    audit,
    providerVersion: "bench",
    vercel: { apiUrl: w.vercel.url, token: "vcp_bench", projects: ["web"] },
    gates: [
      {
        url: `${gateServer}/ok`,
        passes: 2,
        intervalSeconds: 0.05,
        timeoutSeconds: 2,
        deadlineSeconds: 10,
        credentials: names,
      },
    ],
  });
}

let gateServer = "";

async function main() {
  const http = await import("node:http");
  const gate = http.createServer((_q, s) =>
    s.writeHead(200, { connection: "close" }).end('{"status":"ok"}'),
  );
  await new Promise<void>((r) => gate.listen(0, "127.0.0.1", () => r()));
  gateServer = `http://127.0.0.1:${(gate.address() as { port: number }).port}`;
  const names = Array.from({ length: N }, (_, i) => `SECRET_${i + 1}`);

  // Warm-up: module loading (the SDKs, libsodium) must not count against the first measured run.
  const warm = await world();
  await rollOut(warm, ["WARM_UP"], "warm");
  await warm.stop();

  const batched = await world();
  let t = performance.now();
  await rollOut(batched, names, "g1");
  const batchedMs = performance.now() - t;
  const batchedCalls = { ...batched.vercel.countsByRoute(), ...batched.github.countsByRoute() };
  await batched.stop();

  const single = await world();
  t = performance.now();
  for (const n of names) await rollOut(single, [n], `g1-${n}`);
  const singleMs = performance.now() - t;
  const singleCalls = { ...single.vercel.countsByRoute(), ...single.github.countsByRoute() };
  await single.stop();
  gate.close();

  const perSecret = (c: Record<string, number>) =>
    Object.fromEntries(Object.entries(c).map(([k, v]) => [k, +(v / N).toFixed(2)]));
  const result = {
    secrets: N,
    buildMs: BUILD_MS,
    batched: {
      wallMs: Math.round(batchedMs),
      calls: batchedCalls,
      callsPerSecret: perSecret(batchedCalls),
      redeploys: batchedCalls["POST /v13/deployments"] ?? 0,
    },
    oneByOne: {
      wallMs: Math.round(singleMs),
      calls: singleCalls,
      callsPerSecret: perSecret(singleCalls),
      redeploys: singleCalls["POST /v13/deployments"] ?? 0,
    },
    speedup: +(singleMs / batchedMs).toFixed(2),
  };
  console.log(JSON.stringify(result, null, 2));
  writeFileSync(
    join(REPO_ROOT, "bench", "results", "rotation.json"),
    JSON.stringify(result, null, 2) + "\n",
  );
}

void main();
