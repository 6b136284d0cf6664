/**
 * Starts the Vercel fake: one store, one `FakeServer` speaking Vercel's
 * dialect with every route registered on it, and the handle tests hold: the
 * server's fault and log controls plus the test methods of `controls.ts`.
 */
import { FakeServer } from "../http";
import { registerBillingRoutes } from "./billing";
import { vercelControls } from "./controls";
import { registerDeploymentRoutes } from "./deployment-routes";
import { dialect, type Ctx } from "./dialect";
import { registerEnvRoutes } from "./env-routes";
import { registerProjectRoutes } from "./projects";
import { createStore, resolveAccount } from "./store";
import type { VercelFake, VercelFakeOptions } from "./types";

export async function startVercelFake(options: VercelFakeOptions): Promise<VercelFake> {
  const store = createStore(options);
  const server = new FakeServer<Ctx>(
    dialect(options.token, (req) => resolveAccount(store, req)),
    options.rateLimit ?? { limit: 10_000, windowMs: 60_000 },
    options.onRequest,
  );
  registerProjectRoutes(server, store);
  registerEnvRoutes(server, store);
  registerDeploymentRoutes(server, store);
  registerBillingRoutes(server, store);

  const handle = await server.listen();

  const fake: VercelFake = {
    ...handle,
    user: store.user,
    async stop() {
      for (const t of store.timers) clearTimeout(t);
      store.timers.clear();
      await handle.stop();
    },
    ...vercelControls(store),
  };
  return fake;
}
