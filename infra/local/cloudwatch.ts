/**
 * A real CloudWatch endpoint on loopback: moto's server (see
 * infra/tools/moto.ts). With CLOUDWATCH_ENDPOINT set, that server is used.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { motoServerBinary } from "../tools/moto";
import { freePort } from "./ports";
import { MissingBinaryError } from "./postgres";

export interface CloudWatchServer {
  endpoint: string;
  region: string;
  /** moto accepts any credentials; these are fixed, public test values. */
  accessKeyId: string;
  secretAccessKey: string;
  external: boolean;
  stop(): Promise<void>;
}

export async function startCloudWatch(): Promise<CloudWatchServer> {
  const region = "us-east-1";
  if (process.env.CLOUDWATCH_ENDPOINT)
    return {
      endpoint: process.env.CLOUDWATCH_ENDPOINT,
      region,
      accessKeyId: "testing",
      secretAccessKey: "testing",
      external: true,
      async stop() {},
    };
  const bin = motoServerBinary();
  if (!bin)
    throw new MissingBinaryError(
      "moto (the local CloudWatch server)",
      "Run `npm run setup` once: it installs moto[server] from PyPI into .venv/moto (needs python3 with venv). Or set CLOUDWATCH_ENDPOINT.",
    );
  const dir = mkdtempSync(join(tmpdir(), "runbooks-moto-"));
  const port = await freePort();
  const log = openSync(join(dir, "server.log"), "a");
  const child: ChildProcess = spawn(bin, ["-H", "127.0.0.1", "-p", String(port)], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
    stdio: ["ignore", log, log],
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  let exited: number | null = null;
  child.once("exit", (code) => (exited = code ?? -1));
  for (;;) {
    if (exited !== null)
      throw new Error(`moto_server exited with code ${exited}; see ${dir}/server.log`);
    try {
      const r = await fetch(`${endpoint}/moto-api/`);
      if (r.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`moto_server did not start within 60 s; see ${dir}/server.log`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    endpoint,
    region,
    accessKeyId: "testing",
    secretAccessKey: "testing",
    external: false,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
          child.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill("SIGTERM");
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
