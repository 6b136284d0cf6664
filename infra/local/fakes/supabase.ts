/**
 * A local stand-in for the Supabase Management API's project API keys:
 * publishable/secret keys (list, create, get, update, delete) and the switch
 * for the legacy JWT keys (`anon`, `service_role`).
 *
 * Paths, parameters and bodies follow the Management API's OpenAPI types as
 * shipped in `supabase-management-js` (`ApiKeyResponse`, `CreateApiKeyBody`,
 * `V1DeleteProjectApiKeyParams`, …). That client does not validate responses,
 * so the tests check the shapes against those types themselves.
 *
 * `isValidKey()` answers what the project's API gateway would: is this key
 * still accepted? A stand-in app or a health gate asks it after a rotation.
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import {
  FakeServer,
  bearerToken,
  readJson,
  type Dialect,
  type FakeRequest,
  type FakeResponse,
  type FakeServerHandle,
  type RateLimitOptions,
  type RequestLogEntry,
} from "./http";
import { SecretBox, randomId } from "./secret-box";

export type ApiKeyType = "publishable" | "secret";

export interface SupabaseFakeOptions {
  /** The personal access token the fake accepts. */
  accessToken: string;
  /**
   * 120 requests a minute per user and per project is the documented
   * standard limit (Management API docs, "Rate limits").
   */
  rateLimit?: RateLimitOptions;
  onRequest?: (entry: RequestLogEntry) => void;
}

/** A key as the Management API returns it (`ApiKeyResponse`). */
export interface ApiKeyBody {
  api_key: string | null;
  id: string;
  type: "legacy" | ApiKeyType;
  prefix: string | null;
  name: string;
  description: string | null;
  hash: string | null;
  secret_jwt_template: Record<string, unknown> | null;
  inserted_at: string | null;
  updated_at: string | null;
}

export interface KeyDeletion {
  id: string;
  name: string;
  wasCompromised: boolean;
  reason?: string;
}

export interface SupabaseFake extends FakeServerHandle {
  /** Adds a project; `ref` is 20 lower-case letters (generated when omitted). */
  addProject(opts?: { ref?: string; legacyEnabled?: boolean }): {
    ref: string;
    anonKey: string;
    serviceRoleKey: string;
  };
  addApiKey(
    ref: string,
    key: { type: ApiKeyType; name: string; description?: string },
  ): { id: string; apiKey: string };
  /** The project's keys as `?reveal=false` lists them. */
  apiKeys(ref: string): ApiKeyBody[];
  /** Would the project's API gateway accept this key now? */
  isValidKey(value: string, ref?: string): boolean;
  deletions(ref: string): KeyDeletion[];
  /**
   * Regenerates the project's JWT secret: both legacy keys stop working at
   * the same moment, which is why rotation uses the new API keys instead.
   */
  regenerateLegacyJwtSecret(ref: string): { anonKey: string; serviceRoleKey: string };
}

interface KeyRecord {
  id: string;
  type: ApiKeyType;
  name: string;
  description: string | null;
  /** Sealed: the value is only ever shown on `reveal=true`. */
  sealed: string;
  prefix: string;
  hash: string;
  secretJwtTemplate: Record<string, unknown> | null;
  insertedAt: string;
  updatedAt: string;
}

interface ProjectRecord {
  ref: string;
  jwtSecret: Buffer;
  legacyEnabled: boolean;
  legacyIssuedAt: string;
  keys: Map<string, KeyRecord>;
  deletions: KeyDeletion[];
}

interface Ctx {
  user: string;
}

const REF = /^[a-z]{20}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KEY_NAME = /^[a-z_][a-z0-9_]+$/;
const LEGACY_IDS = ["anon", "service_role"] as const;

const message = (status: number, text: string): FakeResponse => ({
  status,
  body: { message: text },
});

const dialect = (accessToken: string): Dialect<Ctx> => ({
  authenticate(req) {
    const token = bearerToken(req);
    if (!token || token !== accessToken) return { response: message(401, "Unauthorized") };
    return { ctx: { user: createHash("sha256").update(token).digest("hex").slice(0, 16) } };
  },
  // Limits are per user and per project (the `ref` in the path).
  rateLimitKey: (req, ctx) => `${ctx.user}:${req.params.ref ?? ""}`,
  rateLimited: () =>
    message(429, "Too many requests. The rate limit is 120 requests per minute per project."),
  // Sent on every response; X-RateLimit-Reset counts seconds until the
  // window resets, not an epoch time (Management API docs, "Rate limit
  // response headers").
  rateLimitHeaders: (state) => ({
    "x-ratelimit-limit": String(state.limit),
    "x-ratelimit-remaining": String(Math.max(0, state.remaining)),
    "x-ratelimit-reset": String(Math.max(0, Math.ceil((state.resetAtMs - Date.now()) / 1000))),
  }),
  serverError: (status) => message(status, "Internal Server Error"),
  routeNotFound: () => message(404, "Cannot find the requested route"),
  badJson: () => message(400, "Request body must be valid JSON"),
});

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString("base64url");
}

/** An HS256 JWT like the legacy `anon` / `service_role` keys. */
function legacyJwt(
  ref: string,
  role: "anon" | "service_role",
  secret: Buffer,
  issuedAt: number,
): string {
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const payload = base64url(
    JSON.stringify({
      iss: "supabase",
      ref,
      role,
      iat: issuedAt,
      exp: issuedAt + 10 * 365 * 86_400,
    }),
  );
  const signature = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${signature}`;
}

function jwtRole(token: string, secret: Buffer): { ref: string; role: string } | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const expected = createHmac("sha256", secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2]!, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    return JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as {
      ref: string;
      role: string;
    };
  } catch {
    return undefined;
  }
}

export async function startSupabaseFake(options: SupabaseFakeOptions): Promise<SupabaseFake> {
  const box = new SecretBox();
  const projects = new Map<string, ProjectRecord>();

  const legacyKeys = (p: ProjectRecord) => {
    const iat = Math.floor(Date.parse(p.legacyIssuedAt) / 1000);
    return {
      anonKey: legacyJwt(p.ref, "anon", p.jwtSecret, iat),
      serviceRoleKey: legacyJwt(p.ref, "service_role", p.jwtSecret, iat),
    };
  };

  const keyBody = (k: KeyRecord, reveal: boolean): ApiKeyBody => ({
    // Publishable keys are public by design; a secret key is shown only on reveal.
    api_key: k.type === "publishable" || reveal ? box.open(k.sealed) : null,
    id: k.id,
    type: k.type,
    prefix: k.prefix,
    name: k.name,
    description: k.description,
    hash: k.hash,
    secret_jwt_template: k.secretJwtTemplate,
    inserted_at: k.insertedAt,
    updated_at: k.updatedAt,
  });

  // The legacy keys are listed with their JWTs, as the endpoint returned
  // them before `reveal` existed. Whether `reveal=false` now hides the
  // service_role JWT is not documented; a client must not rely on either.
  const legacyBodies = (p: ProjectRecord): ApiKeyBody[] => {
    if (!p.legacyEnabled) return [];
    const { anonKey, serviceRoleKey } = legacyKeys(p);
    return LEGACY_IDS.map((id) => ({
      api_key: id === "anon" ? anonKey : serviceRoleKey,
      id,
      type: "legacy" as const,
      prefix: null,
      name: id,
      description: id === "anon" ? "Legacy anon API key" : "Legacy service_role API key",
      hash: null,
      secret_jwt_template: null,
      inserted_at: p.legacyIssuedAt,
      updated_at: p.legacyIssuedAt,
    }));
  };

  const newKey = (
    type: ApiKeyType,
    name: string,
    description: string | null,
    template: Record<string, unknown> | null,
  ): KeyRecord => {
    const value = `sb_${type}_${randomId(22)}_${randomId(8)}`;
    const now = new Date().toISOString();
    return {
      id: randomUUID(),
      type,
      name,
      description,
      sealed: box.seal(value),
      prefix: value.slice(0, `sb_${type}_`.length + 4),
      hash: createHash("sha256").update(value).digest("base64url"),
      secretJwtTemplate: template,
      insertedAt: now,
      updatedAt: now,
    };
  };

  const boolParam = (req: FakeRequest, name: string): boolean | FakeResponse => {
    const raw = req.query.get(name);
    if (raw === null || raw === "false") return false;
    if (raw === "true") return true;
    return message(400, `${name} must be a boolean string, true or false`);
  };

  const project = (req: FakeRequest): ProjectRecord | FakeResponse => {
    const ref = req.params.ref!;
    if (!REF.test(ref))
      return message(400, "Invalid project ref format. Must be 20 lowercase letters.");
    const p = projects.get(ref);
    // A project the token cannot see and one that does not exist look the same.
    return p ?? message(404, "Project not found");
  };

  /** Checks a create or update body; returns the problem, or undefined. */
  const bodyProblem = (o: Record<string, unknown>, creating: boolean): string | undefined => {
    if (creating && o.type !== "publishable" && o.type !== "secret")
      return "type must be one of the following values: publishable, secret";
    if (creating || o.name !== undefined) {
      if (typeof o.name !== "string") return "name must be a string";
      if (o.name.length < 4 || o.name.length > 64)
        return "name must be between 4 and 64 characters long";
      if (!KEY_NAME.test(o.name)) return "name must match the pattern ^[a-z_][a-z0-9_]+$";
    }
    if (o.description !== undefined && o.description !== null && typeof o.description !== "string")
      return "description must be a string or null";
    const t = o.secret_jwt_template;
    if (t !== undefined && t !== null && (typeof t !== "object" || Array.isArray(t)))
      return "secret_jwt_template must be an object or null";
    return undefined;
  };

  const objectBody = (
    req: FakeRequest,
  ): { body: Record<string, unknown> } | { response: FakeResponse } => {
    const body = readJson(req);
    if (typeof body !== "object" || body === null || Array.isArray(body))
      return { response: message(400, "Request body must be a JSON object") };
    return { body: body as Record<string, unknown> };
  };

  const server = new FakeServer<Ctx>(
    dialect(options.accessToken),
    options.rateLimit ?? { limit: 120, windowMs: 60_000 },
    options.onRequest,
  );

  server.on("GET", "/v1/projects/{ref}/api-keys/legacy", (req) => {
    const p = project(req);
    if ("status" in p) return p;
    return { status: 200, body: { enabled: p.legacyEnabled } };
  });

  server.on("PUT", "/v1/projects/{ref}/api-keys/legacy", (req) => {
    const p = project(req);
    if ("status" in p) return p;
    const raw = req.query.get("enabled");
    if (raw !== "true" && raw !== "false")
      return message(400, "enabled must be a boolean string, true or false");
    p.legacyEnabled = raw === "true";
    return { status: 200, body: { enabled: p.legacyEnabled } };
  });

  server.on("GET", "/v1/projects/{ref}/api-keys", (req) => {
    const p = project(req);
    if ("status" in p) return p;
    const reveal = boolParam(req, "reveal");
    if (typeof reveal !== "boolean") return reveal;
    return {
      status: 200,
      body: [...legacyBodies(p), ...[...p.keys.values()].map((k) => keyBody(k, reveal))],
    };
  });

  server.on("POST", "/v1/projects/{ref}/api-keys", (req) => {
    const p = project(req);
    if ("status" in p) return p;
    const reveal = boolParam(req, "reveal");
    if (typeof reveal !== "boolean") return reveal;
    const parsed = objectBody(req);
    if ("response" in parsed) return parsed.response;
    const o = parsed.body;
    const problem = bodyProblem(o, true);
    if (problem) return message(400, problem);
    const k = newKey(
      o.type as ApiKeyType,
      o.name as string,
      (o.description as string | null | undefined) ?? null,
      (o.secret_jwt_template as Record<string, unknown> | null | undefined) ?? null,
    );
    p.keys.set(k.id, k);
    return { status: 201, body: keyBody(k, reveal) };
  });

  const keyById = (req: FakeRequest, p: ProjectRecord): KeyRecord | FakeResponse => {
    const id = req.params.id!;
    if ((LEGACY_IDS as readonly string[]).includes(id))
      return message(
        400,
        "Legacy API keys cannot be changed here; enable or disable them with PUT /v1/projects/{ref}/api-keys/legacy",
      );
    if (!UUID.test(id)) return message(400, "id must be a UUID");
    return p.keys.get(id) ?? message(404, "API key not found");
  };

  server.on("GET", "/v1/projects/{ref}/api-keys/{id}", (req) => {
    const p = project(req);
    if ("status" in p) return p;
    const reveal = boolParam(req, "reveal");
    if (typeof reveal !== "boolean") return reveal;
    const k = keyById(req, p);
    if ("status" in k) return k;
    return { status: 200, body: keyBody(k, reveal) };
  });

  server.on("PATCH", "/v1/projects/{ref}/api-keys/{id}", (req) => {
    const p = project(req);
    if ("status" in p) return p;
    const reveal = boolParam(req, "reveal");
    if (typeof reveal !== "boolean") return reveal;
    const k = keyById(req, p);
    if ("status" in k) return k;
    const parsed = objectBody(req);
    if ("response" in parsed) return parsed.response;
    const o = parsed.body;
    const problem = bodyProblem(o, false);
    if (problem) return message(400, problem);
    if (typeof o.name === "string") k.name = o.name;
    if (o.description !== undefined) k.description = (o.description as string | null) ?? null;
    if (o.secret_jwt_template !== undefined)
      k.secretJwtTemplate = (o.secret_jwt_template as Record<string, unknown> | null) ?? null;
    k.updatedAt = new Date().toISOString();
    return { status: 200, body: keyBody(k, reveal) };
  });

  server.on("DELETE", "/v1/projects/{ref}/api-keys/{id}", (req) => {
    const p = project(req);
    if ("status" in p) return p;
    const reveal = boolParam(req, "reveal");
    if (typeof reveal !== "boolean") return reveal;
    const compromised = boolParam(req, "was_compromised");
    if (typeof compromised !== "boolean") return compromised;
    const k = keyById(req, p);
    if ("status" in k) return k;
    p.keys.delete(k.id);
    const reason = req.query.get("reason");
    p.deletions.push({
      id: k.id,
      name: k.name,
      wasCompromised: compromised,
      ...(reason ? { reason } : {}),
    });
    return { status: 200, body: keyBody(k, reveal) };
  });

  const handle = await server.listen();

  const existing = (ref: string) => {
    const p = projects.get(ref);
    if (!p) throw new Error(`no project "${ref}" in the Supabase fake; add it with addProject()`);
    return p;
  };

  return {
    ...handle,
    addProject(opts = {}) {
      const ref = opts.ref ?? randomId(20, "abcdefghijklmnopqrstuvwxyz");
      if (!REF.test(ref)) throw new Error(`project ref "${ref}" must be 20 lower-case letters`);
      if (projects.has(ref))
        throw new Error(`project "${ref}" already exists in the Supabase fake`);
      const p: ProjectRecord = {
        ref,
        jwtSecret: randomBytes(32),
        legacyEnabled: opts.legacyEnabled ?? true,
        legacyIssuedAt: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString(),
        keys: new Map(),
        deletions: [],
      };
      projects.set(ref, p);
      return { ref, ...legacyKeys(p) };
    },
    addApiKey(ref, key) {
      const p = existing(ref);
      const problem = bodyProblem({ ...key }, true);
      if (problem) throw new Error(problem);
      const k = newKey(key.type, key.name, key.description ?? null, null);
      p.keys.set(k.id, k);
      return { id: k.id, apiKey: box.open(k.sealed) };
    },
    apiKeys: (ref) => {
      const p = existing(ref);
      return [...legacyBodies(p), ...[...p.keys.values()].map((k) => keyBody(k, false))];
    },
    isValidKey(value, ref) {
      for (const p of projects.values()) {
        if (ref && p.ref !== ref) continue;
        for (const k of p.keys.values()) if (box.open(k.sealed) === value) return true;
        if (p.legacyEnabled) {
          const claims = jwtRole(value, p.jwtSecret);
          if (claims?.ref === p.ref && (LEGACY_IDS as readonly string[]).includes(claims.role))
            return true;
        }
      }
      return false;
    },
    deletions: (ref) => existing(ref).deletions.map((d) => ({ ...d })),
    regenerateLegacyJwtSecret(ref) {
      const p = existing(ref);
      p.jwtSecret = randomBytes(32);
      p.legacyIssuedAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 1000).toISOString();
      return legacyKeys(p);
    },
  };
}
