/**
 * Shared by the ops integration tests: run a script's main the way `npm run`
 * does (through `run`, so flag parsing, --help, errors and exit codes are the
 * real ones) while capturing what it prints, and small real HTTP servers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { run, type CommonFlags, type ExitCode } from "../../../scripts/lib/cli";

export interface ScriptRun {
  code: ExitCode;
  stdout: string;
  stderr: string;
}

export async function runScript<Io>(
  main: (flags: CommonFlags, io: Partial<Io>) => Promise<ExitCode>,
  usage: string,
  argv: string[],
  io: Partial<Io> & { env?: NodeJS.ProcessEnv } = {},
): Promise<ScriptRun> {
  const out: string[] = [];
  const err: string[] = [];
  let exitCode: ExitCode | undefined;
  const env = io.env ?? {};
  const code = await run((flags) => main(flags, { ...io, env, out: (l: string) => out.push(l) }), {
    usage,
    argv,
    env,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    exit: (c) => (exitCode = c),
  });
  if (exitCode !== code) throw new Error(`run returned ${code} but exited with ${exitCode}`);
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
