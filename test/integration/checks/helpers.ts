/**
 * Shared by the command integration tests: run a command the way `runbooks`
 * and `npm run` do (through the runner, so flag parsing, --help, errors and
 * exit codes are the real ones) while capturing what it prints, and small
 * real HTTP servers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import {
  createServer as createHttpsServer,
  request as httpsRequest,
  type Server as HttpsServer,
} from "node:https";
import type { FetchLike } from "../../../infra/checks/health";
import type { AnyCommand } from "../../../scripts/lib/command";
import { runCommand, type RunIo } from "../../../scripts/lib/runner";

export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command through the runner, in-process, with its own argv, env and stand-ins. */
export async function runScript<D>(
  command: AnyCommand,
  argv: string[],
  io: Partial<Pick<RunIo<D>, "env" | "root" | "deps" | "now">> = {},
): Promise<ScriptRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(command, {
    argv,
    env: io.env ?? {},
    root: io.root,
    deps: io.deps,
    now: io.now,
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
  });
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

export interface TestServer {
  url: string;
  /** Requests seen so far. */
  requests: number;
  close(): Promise<void>;
}

/** A real HTTP server on loopback whose handler sees the request number (1-based). */
export function startServer(
  handler: (req: IncomingMessage, res: ServerResponse, n: number) => void | Promise<void>,
): Promise<TestServer> {
  return listen("http", (count) => createServer((req, res) => void handler(req, res, count())));
}

/** Listen on a free loopback port, counting requests before the handler sees each one. */
function listen(
  scheme: "http" | "https",
  make: (count: () => number) => Server | HttpsServer,
): Promise<TestServer> {
  const state = { requests: 0 };
  const server = make(() => ++state.requests);
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({
        url: `${scheme}://127.0.0.1:${port}`,
        get requests() {
          return state.requests;
        },
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface TestCertificate {
  cert: string;
  key: string;
}

/**
 * A certificate for 127.0.0.1 made for this test run, valid from
 * `notBefore` to `notAfter`: short-lived on purpose, so "expires in N days"
 * and "expired" are real certificates, not stubs.
 */
export async function makeCertificate(notBefore: Date, notAfter: Date): Promise<TestCertificate> {
  const selfsigned = await import("selfsigned");
  const pems = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
    algorithm: "sha256",
  });
  return { cert: pems.cert, key: pems.private };
}

/** An HTTPS server on loopback serving `certificate`. */
export function startTlsServer(
  certificate: TestCertificate,
  handler: (req: IncomingMessage, res: ServerResponse, n: number) => void | Promise<void>,
): Promise<TestServer> {
  return listen("https", (count) =>
    createHttpsServer(certificate, (req, res) => void handler(req, res, count())),
  );
}

/**
 * What fetch does, trusting `ca` besides the system store (Node's fetch
 * takes no CA): a real TLS client, with the error shape fetch has (a
 * TypeError whose cause carries the socket's code).
 */
export function fetchTrusting(ca: string): FetchLike {
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          method: init.method,
          headers: init.headers as Record<string, string>,
          ca,
          signal: init.signal ?? undefined,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0 })),
          );
        },
      );
      req.on("error", (cause) => reject(Object.assign(new TypeError("fetch failed"), { cause })));
      req.end();
    });
}
