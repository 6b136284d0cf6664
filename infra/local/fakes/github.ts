/**
 * A local stand-in for GitHub's Actions secrets REST API: repository and
 * environment secrets with their public keys, on the paths `@octokit/rest`
 * calls (`actions.getRepoPublicKey`, `createOrUpdateEnvironmentSecret`, …).
 *
 * Like GitHub, it holds a libsodium key pair per scope and accepts only values
 * sealed (`crypto_box_seal`) to the current public key. It stores the sealed
 * value as received and never returns it; `secretValue()` opens it for tests.
 */
import sodium from "libsodium-wrappers";
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
import { randomId } from "./secret-box";

const DOCS = "https://docs.github.com/rest";
const SECRETS_DOCS = "https://docs.github.com/rest/actions/secrets";
/** GitHub's documented limit on one secret's size. */
const MAX_SECRET_BYTES = 48 * 1024;

export interface SecretScope {
  owner: string;
  repo: string;
  /** An environment's secrets; the repository's when omitted. */
  environment?: string;
}

export interface GitHubFakeOptions {
  /** The token the fake accepts (`Authorization: token …` or `Bearer …`). */
  token: string;
  repos?: { owner: string; repo: string; environments?: string[] }[];
  /** Primary rate limit per token; GitHub's default for a user token is 5000 an hour. */
  rateLimit?: RateLimitOptions;
  onRequest?: (entry: RequestLogEntry) => void;
}

export interface SecretMetadata {
  name: string;
  created_at: string;
  updated_at: string;
}

export interface GitHubFake extends FakeServerHandle {
  addRepo(owner: string, repo: string, opts?: { environments?: string[] }): void;
  addEnvironment(owner: string, repo: string, environment: string): void;
  /** Opens the stored sealed value; undefined when the secret does not exist. */
  secretValue(scope: SecretScope, name: string): string | undefined;
  secrets(scope: SecretScope): SecretMetadata[];
  /** Replaces the scope's key pair, as GitHub does from time to time: the old `key_id` goes stale. */
  rotatePublicKey(scope: SecretScope): { key_id: string };
}

interface KeyPair {
  keyId: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

interface StoredSecret {
  name: string;
  /** Base64 sealed box, as the client sent it. */
  encryptedValue: string;
  keyId: string;
  createdAt: string;
  updatedAt: string;
}

interface Scope {
  keys: KeyPair;
  /** Older key pairs, kept so stored secrets sealed to them can still be opened. */
  retired: KeyPair[];
  secrets: Map<string, StoredSecret>;
}

interface Ctx {
  token: string;
}

const githubError = (status: number, message: string, documentationUrl = DOCS): FakeResponse => ({
  status,
  body: { message, documentation_url: documentationUrl, status: String(status) },
});

const notFound = () => githubError(404, "Not Found", DOCS);

/** Seconds, rounded, since the epoch; GitHub timestamps are ISO 8601 without milliseconds. */
const isoNow = () =>
  new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace(".000Z", "Z");

const dialect = (token: string): Dialect<Ctx> => ({
  authenticate(req: FakeRequest) {
    const header = req.headers.authorization;
    if (!header) return { response: githubError(401, "Requires authentication") };
    const given = bearerToken(req) ?? /^token\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (given !== token) return { response: githubError(401, "Bad credentials") };
    return { ctx: { token: given } };
  },
  // The primary limit is per token across all routes.
  rateLimitKey: (_req, ctx) => ctx.token,
  // GitHub's rate-limit docs: the primary limit answers 403 (or 429) with
  // x-ratelimit-remaining 0 and the reset time; a secondary limit answers 403
  // or 429 with a message naming it and, usually, retry-after. Injected
  // faults model the secondary limit, an exhausted quota the primary one.
  rateLimited: (state, retryAfter, injected) =>
    injected
      ? {
          ...githubError(
            429,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits",
          ),
          headers: { "retry-after": String(retryAfter) },
        }
      : githubError(
          403,
          "API rate limit exceeded for user ID 1.",
          "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api",
        ),
  rateLimitHeaders: (state) => ({
    "x-ratelimit-limit": String(state.limit),
    "x-ratelimit-remaining": String(Math.max(0, state.remaining)),
    "x-ratelimit-used": String(state.limit - Math.max(0, state.remaining)),
    "x-ratelimit-reset": String(Math.ceil(state.resetAtMs / 1000)),
    "x-ratelimit-resource": "core",
  }),
  serverError: (status) =>
    githubError(status, status === 503 ? "Service Unavailable" : "Server Error"),
  routeNotFound: () => notFound(),
  badJson: () => githubError(400, "Problems parsing JSON"),
});

/** GitHub's naming rules for secrets (its "Naming your secrets" docs); names are stored upper-case. */
function nameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9_]+$/.test(name))
    return "Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_).";
  if (/^[0-9]/.test(name)) return "Secret names must not start with a number.";
  if (/^GITHUB_/i.test(name)) return "Secret names must not start with the GITHUB_ prefix.";
  return undefined;
}

export async function startGitHubFake(options: GitHubFakeOptions): Promise<GitHubFake> {
  await sodium.ready;
  const scopes = new Map<string, Scope>();
  const repos = new Map<string, Set<string>>();

  const repoKey = (owner: string, repo: string) => `${owner.toLowerCase()}/${repo.toLowerCase()}`;
  const scopeKey = (s: SecretScope) =>
    `${repoKey(s.owner, s.repo)}${s.environment ? `#${s.environment}` : ""}`;

  const newKeys = (): KeyPair => {
    const pair = sodium.crypto_box_keypair();
    // GitHub key ids are long decimal strings.
    return {
      keyId: randomId(19, "0123456789").replace(/^0/, "1"),
      publicKey: pair.publicKey,
      privateKey: pair.privateKey,
    };
  };

  const ensureScope = (s: SecretScope): Scope => {
    const key = scopeKey(s);
    let scope = scopes.get(key);
    if (!scope) {
      scope = { keys: newKeys(), retired: [], secrets: new Map() };
      scopes.set(key, scope);
    }
    return scope;
  };

  const addRepo = (owner: string, repo: string, environments: string[] = []) => {
    const key = repoKey(owner, repo);
    const envs = repos.get(key) ?? new Set<string>();
    for (const e of environments) envs.add(e);
    repos.set(key, envs);
    ensureScope({ owner, repo });
    for (const e of environments) ensureScope({ owner, repo, environment: e });
  };
  for (const r of options.repos ?? []) addRepo(r.owner, r.repo, r.environments);

  /** The scope a request addresses, or GitHub's 404 (which also hides repos the token cannot see). */
  const lookup = (req: FakeRequest): Scope | FakeResponse => {
    const { owner, repo, environment_name } = req.params;
    const envs = repos.get(repoKey(owner!, repo!));
    if (!envs) return notFound();
    if (environment_name !== undefined && !envs.has(environment_name)) return notFound();
    return ensureScope({
      owner: owner!,
      repo: repo!,
      ...(environment_name ? { environment: environment_name } : {}),
    });
  };

  const open = (scope: Scope, secret: StoredSecret): string => {
    const pair = [scope.keys, ...scope.retired].find((k) => k.keyId === secret.keyId)!;
    return sodium.to_string(
      sodium.crypto_box_seal_open(
        sodium.from_base64(secret.encryptedValue, sodium.base64_variants.ORIGINAL),
        pair.publicKey,
        pair.privateKey,
      ),
    );
  };

  const metadata = (s: StoredSecret): SecretMetadata => ({
    name: s.name,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  });

  const server = new FakeServer<Ctx>(
    dialect(options.token),
    options.rateLimit ?? { limit: 5000, windowMs: 3_600_000 },
    options.onRequest,
  );

  const publicKey = (req: FakeRequest): FakeResponse => {
    const scope = lookup(req);
    if ("status" in scope) return scope;
    return {
      status: 200,
      body: {
        key_id: scope.keys.keyId,
        key: sodium.to_base64(scope.keys.publicKey, sodium.base64_variants.ORIGINAL),
      },
    };
  };

  const list = (req: FakeRequest): FakeResponse => {
    const scope = lookup(req);
    if ("status" in scope) return scope;
    const perPage = Number(req.query.get("per_page") ?? 30);
    const page = Number(req.query.get("page") ?? 1);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100)
      return githubError(
        422,
        "Invalid request.\n\nper_page must be an integer between 1 and 100.",
        SECRETS_DOCS,
      );
    if (!Number.isInteger(page) || page < 1)
      return githubError(422, "Invalid request.\n\npage must be a positive integer.", SECRETS_DOCS);
    const all = [...scope.secrets.values()].sort((a, b) => a.name.localeCompare(b.name));
    const items = all.slice((page - 1) * perPage, page * perPage);
    const last = Math.max(1, Math.ceil(all.length / perPage));
    const link = (p: number, rel: string) => {
      const params = new URLSearchParams(req.query);
      params.set("per_page", String(perPage));
      params.set("page", String(p));
      return `<http://${req.headers.host}${req.path}?${params}>; rel="${rel}"`;
    };
    // RFC 8288 Link header, as GitHub paginates: Octokit's paginate() follows rel="next".
    const links = [
      ...(page < last ? [link(page + 1, "next"), link(last, "last")] : []),
      ...(page > 1 ? [link(1, "first"), link(page - 1, "prev")] : []),
    ];
    return {
      status: 200,
      headers: links.length ? { link: links.join(", ") } : {},
      body: { total_count: all.length, secrets: items.map(metadata) },
    };
  };

  const get = (req: FakeRequest): FakeResponse => {
    const scope = lookup(req);
    if ("status" in scope) return scope;
    const secret = scope.secrets.get(req.params.secret_name!.toUpperCase());
    return secret ? { status: 200, body: metadata(secret) } : notFound();
  };

  const put = (req: FakeRequest): FakeResponse => {
    const scope = lookup(req);
    if ("status" in scope) return scope;
    const name = req.params.secret_name!;
    const problem = nameProblem(name);
    if (problem) return githubError(422, `Invalid request.\n\n${problem}`, SECRETS_DOCS);
    const body = readJson(req);
    if (typeof body !== "object" || body === null || Array.isArray(body))
      return githubError(422, "Invalid request.\n\nThe body must be a JSON object.", SECRETS_DOCS);
    const { encrypted_value: encrypted, key_id: keyId } = body as Record<string, unknown>;
    if (encrypted === undefined)
      return githubError(
        422,
        'Invalid request.\n\n"encrypted_value" wasn\'t supplied.',
        SECRETS_DOCS,
      );
    if (keyId === undefined)
      return githubError(422, 'Invalid request.\n\n"key_id" wasn\'t supplied.', SECRETS_DOCS);
    if (
      typeof encrypted !== "string" ||
      !/^[A-Za-z0-9+/]*={0,2}$/.test(encrypted) ||
      encrypted.length % 4 !== 0
    )
      return githubError(
        422,
        "Invalid request.\n\nencrypted_value must be a base64 string.",
        SECRETS_DOCS,
      );
    if (typeof keyId !== "string")
      return githubError(422, "Invalid request.\n\nkey_id must be a string.", SECRETS_DOCS);
    if (keyId !== scope.keys.keyId)
      return githubError(
        422,
        "Bad request: key_id does not match the current public key; fetch the public key again.",
        SECRETS_DOCS,
      );
    let plaintext: Uint8Array;
    try {
      plaintext = sodium.crypto_box_seal_open(
        sodium.from_base64(encrypted, sodium.base64_variants.ORIGINAL),
        scope.keys.publicKey,
        scope.keys.privateKey,
      );
    } catch {
      return githubError(
        422,
        "Bad request: encrypted_value could not be decrypted with the public key for key_id.",
        SECRETS_DOCS,
      );
    }
    if (plaintext.length > MAX_SECRET_BYTES)
      return githubError(422, "Invalid request.\n\nSecrets are limited to 48 KB.", SECRETS_DOCS);
    const upper = name.toUpperCase();
    const existing = scope.secrets.get(upper);
    const now = isoNow();
    scope.secrets.set(upper, {
      name: upper,
      encryptedValue: encrypted,
      keyId,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    });
    // 201 with an empty object on create, 204 with no body on update.
    return existing ? { status: 204 } : { status: 201, body: {} };
  };

  const remove = (req: FakeRequest): FakeResponse => {
    const scope = lookup(req);
    if ("status" in scope) return scope;
    return scope.secrets.delete(req.params.secret_name!.toUpperCase())
      ? { status: 204 }
      : notFound();
  };

  for (const base of [
    "/repos/{owner}/{repo}/actions/secrets",
    "/repos/{owner}/{repo}/environments/{environment_name}/secrets",
  ]) {
    server.on("GET", `${base}/public-key`, publicKey);
    server.on("GET", base, list);
    server.on("GET", `${base}/{secret_name}`, get);
    server.on("PUT", `${base}/{secret_name}`, put);
    server.on("DELETE", `${base}/{secret_name}`, remove);
  }

  const handle = await server.listen();
  const existingScope = (s: SecretScope) => {
    const scope = scopes.get(scopeKey(s));
    if (!scope)
      throw new Error(
        `no ${s.environment ? `environment "${s.environment}" in ` : ""}repository ${s.owner}/${s.repo} in the GitHub fake`,
      );
    return scope;
  };
  return {
    ...handle,
    addRepo: (owner, repo, opts = {}) => addRepo(owner, repo, opts.environments),
    addEnvironment: (owner, repo, environment) => {
      if (!repos.has(repoKey(owner, repo)))
        throw new Error(`add repository ${owner}/${repo} before its environments`);
      addRepo(owner, repo, [environment]);
    },
    secretValue(scope, name) {
      const s = existingScope(scope);
      const secret = s.secrets.get(name.toUpperCase());
      return secret ? open(s, secret) : undefined;
    },
    secrets: (scope) => [...existingScope(scope).secrets.values()].map(metadata),
    rotatePublicKey(scope) {
      const s = existingScope(scope);
      s.retired.push(s.keys);
      s.keys = newKeys();
      return { key_id: s.keys.keyId };
    },
  };
}
