/**
 * The HTTP machinery every vendor fake shares: a real server on loopback
 * (port picked at run time, so the engine's provider process can reach it),
 * route templates, fault injection, a fixed-window rate limiter and a request
 * log. Each vendor file supplies a `Dialect` for its own auth, error and
 * rate-limit shapes; nothing vendor-specific lives here.
 *
 * The request log holds method, route template and status only: no headers,
 * no query values, no bodies, so no secret can reach it.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface FakeRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  /** The matched route's name: its template, e.g. `/v13/deployments/{idOrUrl}`, unless named. */
  route: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  rawBody: Buffer;
}

export interface FakeResponse {
  status: number;
  /** Serialized as JSON unless `text` or `lines` is given. */
  body?: unknown;
  text?: string;
  /** Streamed one chunk per line (newline-delimited JSON). */
  lines?: string[];
  /** Sent as is (e.g. a gzip-compressed body). */
  raw?: Buffer;
  headers?: Record<string, string>;
}

export type Handler<Ctx> = (req: FakeRequest, ctx: Ctx) => FakeResponse | Promise<FakeResponse>;

export interface RateLimitState {
  limit: number;
  remaining: number;
  /** When the current window ends, epoch milliseconds. */
  resetAtMs: number;
}

/** What one vendor contributes: its auth and the shapes of its errors. */
export interface Dialect<Ctx> {
  /** Returns the caller's context, or the vendor's 401/403 response. */
  authenticate(req: FakeRequest): { ctx: Ctx } | { response: FakeResponse };
  /** The bucket a request counts against (vendors scope limits differently). */
  rateLimitKey(req: FakeRequest, ctx: Ctx): string;
  /** `injected` is true when a fault switch, not the quota, caused it. */
  rateLimited(state: RateLimitState, retryAfterSeconds: number, injected: boolean): FakeResponse;
  /** Headers the vendor sends on every response, if any. */
  rateLimitHeaders?(state: RateLimitState): Record<string, string>;
  /** Headers on every response, whatever its status (request ids and the like). */
  commonHeaders?(): Record<string, string>;
  serverError(status: number): FakeResponse;
  routeNotFound(req: FakeRequest): FakeResponse;
  badJson(req: FakeRequest): FakeResponse;
}

export interface RateLimitOptions {
  /** Requests allowed per window and bucket. */
  limit: number;
  windowMs: number;
}

export interface RequestLogEntry {
  at: number;
  method: string;
  /** Route template, or `unmatched`. */
  route: string;
  /** 0 when the fake hung and never answered. */
  status: number;
  /** Set when an injected fault produced the answer. */
  fault?: FaultKind;
}

export type FaultKind = "error" | "rateLimit" | "hang" | "corrupt";

export interface FaultTarget {
  /** `METHOD name` or just `name` (any method), where a route's name is its template unless set; all routes when omitted. */
  route?: string;
}

interface Fault {
  kind: FaultKind;
  route?: string;
  remaining: number;
  status?: number;
  retryAfterSeconds?: number;
  mutate?: (body: unknown) => unknown;
}

/** Fault switches every fake exposes; tests and the local stack use them. */
export interface FaultControls {
  /** The next `times` matching calls answer with a 5xx in the vendor's shape. */
  failNext(times: number, opts?: FaultTarget & { status?: number }): void;
  /** The next `times` matching calls answer 429 (or the vendor's throttle) with this retry-after. */
  rateLimitNext(times: number, opts?: FaultTarget & { retryAfterSeconds?: number }): void;
  /** The next `times` matching calls never answer (the client's timeout must fire). */
  hangNext(times: number, opts?: FaultTarget): void;
  /** The next `times` matching successful JSON answers are passed through `mutate` first. */
  corruptNext(times: number, mutate: (body: unknown) => unknown, opts?: FaultTarget): void;
  clearFaults(): void;
}

export interface RequestLog {
  requests(): RequestLogEntry[];
  /** Calls per route template, for counting API calls in benchmarks. */
  countsByRoute(): Record<string, number>;
  count(route: string): number;
  clearLog(): void;
}

export interface FakeServerHandle extends FaultControls, RequestLog {
  url: string;
  stop(): Promise<void>;
}

export interface RouteOptions {
  /** The name the log and fault switches use instead of the template. */
  name?: string;
  /** Extra condition, for APIs that dispatch on a header (AWS `X-Amz-Target`). */
  when?: (headers: http.IncomingHttpHeaders) => boolean;
}

interface Route<Ctx> {
  method: string;
  template: string;
  name: string;
  when?: RouteOptions["when"];
  pattern: RegExp;
  names: string[];
  handler: Handler<Ctx>;
}

function compile(template: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template
    .split("/")
    .map((part) => {
      const m = /^\{(\w+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(m[1]!);
      return "([^/]+)";
    })
    .join("/");
  return { pattern: new RegExp(`^${source}$`), names };
}

/** A route selector is `METHOD name` or just `name` (any method). */
function selects(selector: string, method: string, name: string): boolean {
  return selector === name || selector === `${method} ${name}`;
}

function matches(fault: Fault, method: string, name: string): boolean {
  return !fault.route || selects(fault.route, method, name);
}

export class FakeServer<Ctx> {
  private readonly routes: Route<Ctx>[] = [];
  private readonly faults: Fault[] = [];
  private readonly log: RequestLogEntry[] = [];
  private readonly windows = new Map<string, { count: number; startedAt: number }>();
  private readonly sockets = new Set<Socket>();
  private server?: http.Server;

  constructor(
    private readonly dialect: Dialect<Ctx>,
    private readonly rateLimit: RateLimitOptions,
    private readonly onLog?: (entry: RequestLogEntry) => void,
  ) {}

  /** Registers `handler` for `method template`, e.g. `("GET", "/v9/projects/{idOrName}")`. */
  on(method: string, template: string, handler: Handler<Ctx>, opts: RouteOptions = {}): this {
    this.routes.push({
      method,
      template,
      name: opts.name ?? template,
      when: opts.when,
      ...compile(template),
      handler,
    });
    return this;
  }

  async listen(): Promise<FakeServerHandle> {
    const server = http.createServer((req, res) => {
      void this.dispatch(req, res);
    });
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, stop: () => this.stop(), ...this.controls() };
  }

  controls(): FaultControls & RequestLog {
    const add = (fault: Fault) => {
      if (!Number.isInteger(fault.remaining) || fault.remaining < 1)
        throw new Error(`fault count must be a positive integer, got ${fault.remaining}`);
      this.faults.push(fault);
    };
    return {
      failNext: (times, opts = {}) =>
        add({ kind: "error", remaining: times, route: opts.route, status: opts.status ?? 500 }),
      rateLimitNext: (times, opts = {}) =>
        add({
          kind: "rateLimit",
          remaining: times,
          route: opts.route,
          retryAfterSeconds: opts.retryAfterSeconds ?? 1,
        }),
      hangNext: (times, opts = {}) => add({ kind: "hang", remaining: times, route: opts.route }),
      corruptNext: (times, mutate, opts = {}) =>
        add({ kind: "corrupt", remaining: times, route: opts.route, mutate }),
      clearFaults: () => {
        this.faults.length = 0;
      },
      requests: () => this.log.map((e) => ({ ...e })),
      countsByRoute: () => {
        const counts: Record<string, number> = {};
        for (const e of this.log)
          counts[`${e.method} ${e.route}`] = (counts[`${e.method} ${e.route}`] ?? 0) + 1;
        return counts;
      },
      count: (route) => this.log.filter((e) => selects(route, e.method, e.route)).length,
      clearLog: () => {
        this.log.length = 0;
      },
    };
  }

  private async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    // Hung requests keep their sockets open; end them so close() returns.
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private takeFault(kinds: FaultKind[], method: string, template: string): Fault | undefined {
    const i = this.faults.findIndex((f) => kinds.includes(f.kind) && matches(f, method, template));
    if (i < 0) return undefined;
    const fault = this.faults[i]!;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.faults.splice(i, 1);
    return fault;
  }

  private record(entry: RequestLogEntry): void {
    this.log.push(entry);
    this.onLog?.(entry);
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = (req.method ?? "GET").toUpperCase();
    const base = {
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      rawBody: Buffer.concat(chunks),
    };
    let route: Route<Ctx> | undefined;
    let params: Record<string, string> = {};
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.pattern.exec(url.pathname);
      if (!m || (r.when && !r.when(req.headers))) continue;
      route = r;
      params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
      break;
    }
    const request: FakeRequest = { ...base, route: route?.name ?? "unmatched", params };
    const at = Date.now();
    if (!route) {
      this.send(res, this.dialect.routeNotFound(request));
      this.record({ at, method, route: "unmatched", status: 404 });
      return;
    }

    const fault = this.takeFault(["error", "rateLimit", "hang"], method, route.name);
    if (fault?.kind === "hang") {
      this.record({ at, method, route: route.name, status: 0, fault: "hang" });
      return; // the socket stays open until the client gives up or stop() runs
    }
    if (fault?.kind === "error") {
      const response = this.dialect.serverError(fault.status ?? 500);
      this.send(res, response);
      this.record({ at, method, route: route.name, status: response.status, fault: "error" });
      return;
    }

    const auth = this.dialect.authenticate(request);
    if ("response" in auth) {
      this.send(res, auth.response);
      this.record({ at, method, route: route.name, status: auth.response.status });
      return;
    }

    const state = this.consume(this.dialect.rateLimitKey(request, auth.ctx));
    const limitHeaders = this.dialect.rateLimitHeaders?.(state) ?? {};
    if (fault?.kind === "rateLimit" || state.remaining < 0) {
      const retryAfter =
        fault?.retryAfterSeconds ?? Math.max(1, Math.ceil((state.resetAtMs - Date.now()) / 1000));
      const shown = fault
        ? { ...state, remaining: 0, resetAtMs: Date.now() + retryAfter * 1000 }
        : { ...state, remaining: 0 };
      const response = this.dialect.rateLimited(shown, retryAfter, Boolean(fault));
      response.headers = { ...(this.dialect.rateLimitHeaders?.(shown) ?? {}), ...response.headers };
      this.send(res, response);
      this.record({
        at,
        method,
        route: route.name,
        status: response.status,
        ...(fault ? { fault: "rateLimit" as const } : {}),
      });
      return;
    }

    let response: FakeResponse;
    try {
      response = await route.handler(request, auth.ctx);
    } catch (err) {
      if (err instanceof BadJsonError) response = this.dialect.badJson(request);
      else throw err;
    }
    let corrupted = false;
    if (response.status < 300 && response.body !== undefined) {
      const c = this.takeFault(["corrupt"], method, route.name);
      if (c?.mutate) {
        response = { ...response, body: c.mutate(structuredClone(response.body)) };
        corrupted = true;
      }
    }
    response.headers = { ...limitHeaders, ...response.headers };
    this.send(res, response);
    this.record({
      at,
      method,
      route: route.name,
      status: response.status,
      ...(corrupted ? { fault: "corrupt" as const } : {}),
    });
  }

  private consume(key: string): RateLimitState {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || now - window.startedAt >= this.rateLimit.windowMs) {
      window = { count: 0, startedAt: now };
      this.windows.set(key, window);
    }
    window.count += 1;
    return {
      limit: this.rateLimit.limit,
      remaining: this.rateLimit.limit - window.count,
      resetAtMs: window.startedAt + this.rateLimit.windowMs,
    };
  }

  private send(res: http.ServerResponse, response: FakeResponse): void {
    const headers: Record<string, string> = {
      ...this.dialect.commonHeaders?.(),
      ...response.headers,
    };
    if (response.lines) {
      headers["content-type"] ??= "application/jsonl";
      res.writeHead(response.status, headers);
      for (const line of response.lines) res.write(`${line}\n`);
      res.end();
      return;
    }
    if (response.raw) {
      res.writeHead(response.status, headers);
      res.end(response.raw);
      return;
    }
    let payload = "";
    if (response.text !== undefined) {
      payload = response.text;
      headers["content-type"] ??= "text/plain; charset=utf-8";
    } else if (response.body !== undefined) {
      payload = JSON.stringify(response.body);
      headers["content-type"] ??= "application/json";
    }
    res.writeHead(response.status, headers);
    res.end(payload);
  }
}

/** Thrown by `readJson` so the dialect can answer with the vendor's 400. */
export class BadJsonError extends Error {}

export function readJson(req: FakeRequest): unknown {
  if (req.rawBody.length === 0) throw new BadJsonError("empty body");
  try {
    return JSON.parse(req.rawBody.toString("utf8"));
  } catch {
    throw new BadJsonError("body is not JSON");
  }
}

/** The token of an `Authorization: Bearer <token>` header, if present. */
export function bearerToken(req: FakeRequest): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(header);
  return m ? m[1]!.trim() : undefined;
}
