/**
 * Shared by the command integration tests: run a command the way `runbooks`
 * and `npm run` do (through the runner, so flag parsing, --help, errors and
 * exit codes are the real ones) while capturing what it prints, and small
 * real HTTP servers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
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
  io: Partial<Pick<RunIo<D>, "env" | "root" | "deps">> = {},
): Promise<ScriptRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(command, {
    argv,
    env: io.env ?? {},
    root: io.root,
    deps: io.deps,
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
  const state = { requests: 0 };
  const server = createServer((req, res) => {
    state.requests++;
    void handler(req, res, state.requests);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}`,
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
