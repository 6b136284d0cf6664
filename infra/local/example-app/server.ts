/**
 * A stand-in for the team's web app: just enough for health checks, the
 * rotation health gate and alert rules to hit a real endpoint.
 *
 * GET /api/health → 200 {"status":"ok",…} when a `select 1` through
 * DATABASE_URL succeeds within the timeout, else 503 with the reason (never
 * the connection string). The URL is re-read from the environment file named
 * by APP_ENV_FILE on every request when set, the way a redeploy picks up a
 * rotated credential.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { Client } from "pg";
import { redactSecrets } from "../../lib/redact";

export interface AppOptions {
  /** Connection string the app uses. */
  databaseUrl?: string;
  /** File with KEY=value lines (e.g. DATABASE_URL=…) read on every request. */
  envFile?: string;
  port?: number;
  host?: string;
  /** Milliseconds before the database check counts as failed. */
  timeoutMs?: number;
}

export interface RunningApp {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

function readEnvFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) out[match[1]!] = match[2]!;
  }
  return out;
}

async function checkDatabase(
  url: string,
  timeoutMs: number,
): Promise<{ ok: boolean; latencyMs: number; error?: string }> {
  const started = Date.now();
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
  });
  // A session ended by the server (a revoked login) is reported by the query, not as a crash.
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("select 1");
    return { ok: true, latencyMs: Date.now() - started };
  } catch (err) {
    const password = (() => {
      try {
        return decodeURIComponent(new URL(url).password);
      } catch {
        return undefined;
      }
    })();
    return {
      ok: false,
      latencyMs: Date.now() - started,
      error: redactSecrets((err as Error).message, [password, url]),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function startApp(options: AppOptions): Promise<RunningApp> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const server = createServer(async (req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/api/health") {
      res
        .writeHead(404, { "content-type": "application/json", connection: "close" })
        .end(JSON.stringify({ error: "not found" }));
      return;
    }
    const url = options.envFile ? readEnvFile(options.envFile).DATABASE_URL : options.databaseUrl;
    if (!url) {
      res.writeHead(503, { "content-type": "application/json", connection: "close" }).end(
        JSON.stringify({
          status: "down",
          database: { ok: false, error: "DATABASE_URL is not set" },
        }),
      );
      return;
    }
    const database = await checkDatabase(url, timeoutMs);
    res
      .writeHead(database.ok ? 200 : 503, {
        "content-type": "application/json",
        "cache-control": "no-store",
        // One request per connection: after a redeploy, no kept-alive connection reaches the old instance.
        connection: "close",
      })
      .end(
        JSON.stringify({
          status: database.ok ? "ok" : "down",
          database,
          checkedAt: new Date().toISOString(),
        }),
      );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        server,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

if (require.main === module) {
  const port = Number(process.env.PORT ?? 0);
  startApp({ databaseUrl: process.env.DATABASE_URL, envFile: process.env.APP_ENV_FILE, port })
    .then((app) => console.log(`app listening on ${app.url} (GET /api/health)`))
    .catch((err: Error) => {
      console.error(`app failed to start: ${err.message}`);
      process.exit(2);
    });
}
