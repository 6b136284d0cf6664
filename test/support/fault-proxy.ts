/**
 * A small HTTP proxy in front of the harness's S3 server that can fail,
 * delay or hang chosen requests, so tests drive real S3 failures (a part
 * upload that returns 500, a listing that breaks on page 2) through the
 * official client. Headers pass through unchanged, so SigV4 signatures made
 * for the proxy's address still verify at the server.
 */
import { createServer, request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface ProxiedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
}

export type FaultDecision =
  | {
      action: "pass";
      delayMs?: number;
      /** Response headers to set (or, with undefined, remove) on the server's answer. */
      responseHeaders?: Record<string, string | undefined>;
    }
  | { action: "fail"; status: number; code: string };

export interface FaultProxy {
  endpoint: string;
  /** Every request seen, in order. */
  seen: ProxiedRequest[];
  /** Change the rule while running. */
  setRule(rule: (req: ProxiedRequest) => FaultDecision): void;
  stop(): Promise<void>;
}

const pass: FaultDecision = { action: "pass" };

export async function startFaultProxy(
  target: string,
  rule: (req: ProxiedRequest) => FaultDecision = () => pass,
): Promise<FaultProxy> {
  const upstream = new URL(target);
  const seen: ProxiedRequest[] = [];
  let current = rule;
  const server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    const info = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams };
    seen.push(info);
    const decision = current(info);
    if (decision.action === "fail") {
      req.resume();
      res.writeHead(decision.status, { "content-type": "application/xml" });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${decision.code}</Code><Message>injected by the test proxy</Message></Error>`,
      );
      return;
    }
    const forward = () => {
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (up) => {
          const headers = { ...up.headers };
          for (const [name, value] of Object.entries(decision.responseHeaders ?? {}))
            if (value === undefined) delete headers[name];
            else headers[name] = value;
          res.writeHead(up.statusCode ?? 502, headers);
          up.pipe(res);
        },
      );
      out.on("error", () => res.destroy());
      req.pipe(out);
    };
    if (decision.delayMs) {
      // A client that gives up first (a timeout) is not answered later: nothing is forwarded.
      const timer = setTimeout(forward, decision.delayMs);
      res.on("close", () => clearTimeout(timer));
    } else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    setRule: (r) => void (current = r),
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
