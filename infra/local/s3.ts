/**
 * A real S3-compatible server on loopback: MinIO, built by `npm run setup`.
 * With S3_ENDPOINT set (plus S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY) an
 * existing server is used instead.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { minioBinary } from "../tools/minio";
import { freePort } from "./ports";
import { MissingBinaryError } from "./postgres";

export interface S3Server {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Which implementation answers, for logs and the README's measurements. */
  server: string;
  external: boolean;
  /** Data directory, when we started the server. */
  dataDir?: string;
  pid?: number;
  stop(): Promise<void>;
}

export interface StartS3Options {
  /** Keep data in this directory instead of a temp dir (and leave it on stop). */
  dataDir?: string;
  port?: number;
  /** Keep running after this process exits (for `npm run local`). */
  detached?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
}

export async function startS3(options: StartS3Options = {}): Promise<S3Server> {
  const externalEndpoint = process.env.S3_ENDPOINT;
  if (externalEndpoint) {
    const accessKeyId = process.env.S3_ACCESS_KEY_ID ?? process.env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = process.env.S3_SECRET_ACCESS_KEY ?? process.env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new Error(
        "S3_ENDPOINT is set but S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY (or the AWS_ equivalents) are not.",
      );
    }
    return {
      endpoint: externalEndpoint,
      region: process.env.S3_REGION ?? "us-east-1",
      accessKeyId,
      secretAccessKey,
      server: "external",
      external: true,
      async stop() {},
    };
  }
  const bin = minioBinary();
  if (!bin) {
    throw new MissingBinaryError(
      "MinIO (the local S3 server)",
      "Run `npm run setup` once: it builds MinIO from its Go module into .tools/minio (needs Go). Or set S3_ENDPOINT to an existing S3-compatible server.",
    );
  }
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "runbooks-s3-"));
  mkdirSync(join(dataDir, "data"), { recursive: true });
  const port = options.port ?? (await freePort());
  const accessKeyId = options.accessKeyId ?? `runbooks${randomBytes(4).toString("hex")}`;
  const secretAccessKey = options.secretAccessKey ?? randomBytes(24).toString("base64url");
  const log = openSync(join(dataDir, "server.log"), "a");
  const child: ChildProcess = spawn(
    bin,
    ["server", join(dataDir, "data"), "--address", `127.0.0.1:${port}`, "--quiet"],
    {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: dataDir,
        MINIO_ROOT_USER: accessKeyId,
        MINIO_ROOT_PASSWORD: secretAccessKey,
        MINIO_BROWSER: "off",
        MINIO_UPDATE: "off",
        MINIO_CI_CD: "on",
        MINIO_REGION: "us-east-1",
      },
      stdio: ["ignore", log, log],
      detached: options.detached ?? false,
    },
  );
  if (options.detached) child.unref();
  const endpoint = `http://127.0.0.1:${port}`;
  await waitForHealthy(endpoint, child, join(dataDir, "server.log"));
  return {
    endpoint,
    region: "us-east-1",
    accessKeyId,
    secretAccessKey,
    server: "minio",
    external: false,
    dataDir,
    pid: child.pid,
    async stop() {
      await stopProcess(child);
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function waitForHealthy(
  endpoint: string,
  child: ChildProcess,
  logFile: string,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  let exited: number | null = null;
  child.once("exit", (code) => (exited = code ?? -1));
  while (Date.now() < deadline) {
    if (exited !== null)
      throw new Error(`MinIO exited with code ${exited} before it was ready; see ${logFile}`);
    try {
      const response = await fetch(`${endpoint}/minio/health/ready`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`MinIO did not become ready within 30 s; see ${logFile}`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolvePromise();
    });
    child.kill("SIGTERM");
  });
}
