/**
 * The stand-in app behind the Vercel stand-in: every deployment that turns
 * READY starts a new app instance with that deployment's environment (its
 * DATABASE_URL), and the app's public port switches to it only once it
 * answers — the way Vercel moves the production alias to a new deployment. A
 * client holding a connection keeps talking to the instance it reached; the
 * old instance is stopped after a grace period.
 *
 * This is what lets the rotation's health gate prove, end to end, that the
 * app works with the new credential: until a redeploy, the app still runs
 * the old one.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { startApp, type RunningApp } from "./example-app/server";
import type { VercelFake } from "./fakes/vercel/index";

export interface AppDeployments {
  /** The app's public URL (stable across deployments). */
  url: string;
  port: number;
  /** Environment of the instance now serving. */
  servingEnv(): Record<string, string>;
  /** Start an instance with `env` and switch the public port to it. */
  deploy(env: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

export async function startAppDeployments(options: {
  port?: number;
  initialEnv: Record<string, string>;
  graceMs?: number;
}): Promise<AppDeployments> {
  let serving: { app: RunningApp; env: Record<string, string> } | undefined;
  const retiring = new Set<RunningApp>();
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    const target = serving;
    if (!target) return client.destroy();
    const upstream = connect({ host: "127.0.0.1", port: target.app.port });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    proxy.once("error", reject);
    proxy.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = proxy.address();
  const port = typeof address === "object" && address ? address.port : 0;

  const deploy = async (env: Record<string, string>) => {
    const app = await startApp({ databaseUrl: env.DATABASE_URL, timeoutMs: 2000 });
    const previous = serving;
    serving = { app, env: { ...env } };
    if (previous) {
      retiring.add(previous.app);
      setTimeout(() => {
        retiring.delete(previous.app);
        void previous.app.close();
      }, options.graceMs ?? 2000).unref();
    }
  };
  await deploy(options.initialEnv);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    servingEnv: () => ({ ...(serving?.env ?? {}) }),
    deploy,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => proxy.close(() => r()));
      await Promise.all([serving?.app.close(), ...[...retiring].map((a) => a.close())]);
      serving = undefined;
    },
  };
}

/** Every READY deployment of `project` on the fake starts a new app instance with its env. */
export function deployOnReady(fake: VercelFake, project: string, app: AppDeployments): () => void {
  return fake.onDeploymentReady(async (event) => {
    if (event.project.name !== project && event.project.id !== project) return;
    if (event.deployment.target !== "production") return;
    await app.deploy(event.env);
  });
}
