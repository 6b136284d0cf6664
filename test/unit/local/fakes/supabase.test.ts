/**
 * The Supabase Management API fake, driven through `supabase-management-js`.
 * That client does not validate responses, so every body is parsed here with
 * a strict schema written from the client's own OpenAPI types
 * (`ApiKeyResponse`, `LegacyApiKeysResponse`).
 */
import { SupabaseManagementAPI, SupabaseManagementAPIError } from "supabase-management-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { startSupabaseFake, type SupabaseFake } from "../../../../infra/local/fakes/supabase";

const TOKEN = "sbp_0123456789abcdef0123456789abcdef01234567";

const ApiKey = z.strictObject({
  api_key: z.string().nullable(),
  id: z.string(),
  type: z.enum(["legacy", "publishable", "secret"]),
  prefix: z.string().nullable(),
  name: z.string(),
  description: z.string().nullable(),
  hash: z.string().nullable(),
  secret_jwt_template: z.record(z.string(), z.unknown()).nullable(),
  inserted_at: z.iso.datetime().nullable(),
  updated_at: z.iso.datetime().nullable(),
});
const Legacy = z.strictObject({ enabled: z.boolean() });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let fake: SupabaseFake;
let api: SupabaseManagementAPI;
let ref: string;
let revealed: string[];

beforeEach(async () => {
  revealed = [];
  fake = await startSupabaseFake({ accessToken: TOKEN });
  ref = fake.addProject().ref;
  api = new SupabaseManagementAPI({ accessToken: TOKEN, baseUrl: fake.url });
});

afterEach(async () => {
  const logged = JSON.stringify(fake.requests());
  for (const s of [TOKEN, ...revealed]) expect(logged).not.toContain(s);
  await fake.stop();
});

async function thrown(p: Promise<unknown>): Promise<SupabaseManagementAPIError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SupabaseManagementAPIError);
    return err as SupabaseManagementAPIError;
  }
  throw new Error("expected the client to throw");
}

async function createSecret(name: string) {
  const res = await api.createProjectApiKey(ref, { type: "secret", name }, { reveal: true });
  const key = ApiKey.parse(res.data);
  revealed.push(key.api_key!);
  return key;
}

describe("api keys", () => {
  it("creates a secret key: 201, uuid id, sb_secret_ value only when revealed", async () => {
    const res = await api.createProjectApiKey(
      ref,
      { type: "secret", name: "rotation_2026_03", description: "rotated by runbook" },
      { reveal: true },
    );
    expect(res.status).toBe(201);
    const key = ApiKey.parse(res.data);
    revealed.push(key.api_key!);
    expect(key).toMatchObject({
      type: "secret",
      name: "rotation_2026_03",
      description: "rotated by runbook",
    });
    expect(key.id).toMatch(UUID);
    expect(key.api_key).toMatch(/^sb_secret_/);
    expect(key.api_key!.startsWith(key.prefix!)).toBe(true);
    const hidden = ApiKey.parse(
      (await api.createProjectApiKey(ref, { type: "secret", name: "no_reveal" })).data,
    );
    expect(hidden.api_key).toBeNull();
  });

  it("lists keys, legacy ones included, hiding secret values unless reveal=true", async () => {
    const secret = await createSecret("server_key");
    const pub = ApiKey.parse(
      (await api.createProjectApiKey(ref, { type: "publishable", name: "web_key" })).data,
    );
    expect(pub.api_key).toMatch(/^sb_publishable_/);
    const hidden = z
      .array(ApiKey)
      .parse((await api.getProjectApiKeys(ref, { reveal: false })).data);
    expect(hidden.map((k) => [k.name, k.type])).toEqual([
      ["anon", "legacy"],
      ["service_role", "legacy"],
      ["server_key", "secret"],
      ["web_key", "publishable"],
    ]);
    expect(hidden.find((k) => k.id === secret.id)!.api_key).toBeNull();
    const shown = z.array(ApiKey).parse((await api.getProjectApiKeys(ref, { reveal: true })).data);
    expect(shown.find((k) => k.id === secret.id)!.api_key).toBe(secret.api_key);
  });

  it("gets and updates one key", async () => {
    const secret = await createSecret("server_key");
    const got = ApiKey.parse((await api.getProjectApiKey(ref, secret.id, { reveal: false })).data);
    expect(got).toMatchObject({ id: secret.id, api_key: null });
    const patched = await api.updateProjectApiKey(ref, secret.id, {
      name: "server_key_v2",
      description: null,
    });
    expect(patched.status).toBe(200);
    expect(ApiKey.parse(patched.data)).toMatchObject({ name: "server_key_v2", description: null });
  });

  it("deletes a key: the gateway stops accepting it, and the compromise report is kept", async () => {
    const old = await createSecret("server_key_old");
    const next = await createSecret("server_key_new");
    // Both are valid during the overlap: this is what makes rotation safe.
    expect(fake.isValidKey(old.api_key!, ref)).toBe(true);
    expect(fake.isValidKey(next.api_key!, ref)).toBe(true);
    const res = await api.deleteProjectApiKey(ref, old.id, {
      was_compromised: true,
      reason: "leaked in CI log",
    } as never);
    expect(res.status).toBe(200);
    expect(ApiKey.parse(res.data).id).toBe(old.id);
    expect(fake.isValidKey(old.api_key!)).toBe(false);
    expect(fake.isValidKey(next.api_key!)).toBe(true);
    expect(fake.deletions(ref)).toEqual([
      { id: old.id, name: "server_key_old", wasCompromised: true, reason: "leaked in CI log" },
    ]);
    const again = await thrown(api.deleteProjectApiKey(ref, old.id));
    expect(again.status).toBe(404);
  });

  it("a key is valid only for its own project", async () => {
    const other = fake.addProject().ref;
    const key = await createSecret("server_key");
    expect(fake.isValidKey(key.api_key!, ref)).toBe(true);
    expect(fake.isValidKey(key.api_key!, other)).toBe(false);
    expect(fake.isValidKey("sb_secret_made_up_value")).toBe(false);
  });
});

describe("legacy keys", () => {
  it("reads and switches the legacy keys; disabled keys stop working", async () => {
    const { anonKey, serviceRoleKey } = fake
      .apiKeys(ref)
      .reduce(
        (acc, k) => ({ ...acc, [k.name === "anon" ? "anonKey" : "serviceRoleKey"]: k.api_key }),
        {} as { anonKey: string; serviceRoleKey: string },
      );
    revealed.push(serviceRoleKey);
    expect(Legacy.parse((await api.getProjectLegacyApiKeys(ref)).data)).toEqual({ enabled: true });
    expect(fake.isValidKey(anonKey)).toBe(true);
    const off = await api.updateProjectLegacyApiKeys(ref, { enabled: false });
    expect(Legacy.parse(off.data)).toEqual({ enabled: false });
    expect(fake.isValidKey(anonKey)).toBe(false);
    expect(fake.isValidKey(serviceRoleKey)).toBe(false);
    expect(z.array(ApiKey).parse((await api.getProjectApiKeys(ref)).data)).toEqual([]);
  });

  it("regenerating the JWT secret kills both legacy keys at once (no overlap)", async () => {
    const before = fake.apiKeys(ref).map((k) => k.api_key!);
    revealed.push(...before);
    const after = fake.regenerateLegacyJwtSecret(ref);
    revealed.push(after.anonKey, after.serviceRoleKey);
    for (const k of before) expect(fake.isValidKey(k)).toBe(false);
    expect(fake.isValidKey(after.anonKey)).toBe(true);
    expect(fake.isValidKey(after.serviceRoleKey)).toBe(true);
  });

  it("legacy keys cannot be deleted through the key endpoints", async () => {
    const err = await thrown(api.deleteProjectApiKey(ref, "service_role"));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/legacy/i);
  });
});

describe("validation and errors", () => {
  it("rejects bad create bodies with a message naming the rule", async () => {
    for (const [body, hint] of [
      [{ type: "secret", name: "abc" }, /between 4 and 64/],
      [{ type: "secret", name: "x".repeat(65) }, /between 4 and 64/],
      [{ type: "secret", name: "Has-Caps" }, /pattern/],
      [{ type: "secret", name: "9starts_with_digit" }, /pattern/],
      [{ type: "service_role", name: "valid_name" }, /publishable, secret/],
    ] as const) {
      const err = await thrown(api.createProjectApiKey(ref, body as never));
      expect(err.status).toBe(400);
      expect((err.data as { message: string }).message).toMatch(hint);
    }
    expect(fake.apiKeys(ref).filter((k) => k.type !== "legacy")).toEqual([]);
  });

  it("checks the project ref, the key id and boolean parameters", async () => {
    expect((await thrown(api.getProjectApiKeys("Not-A-Ref"))).status).toBe(400);
    expect((await thrown(api.getProjectApiKeys("abcdefghijklmnopqrst"))).status).toBe(404);
    expect((await thrown(api.getProjectApiKey(ref, "not-a-uuid"))).status).toBe(400);
    expect(
      (await thrown(api.getProjectApiKey(ref, "00000000-0000-4000-8000-000000000000"))).status,
    ).toBe(404);
    expect((await thrown(api.getProjectApiKeys(ref, { reveal: "yes" } as never))).status).toBe(400);
  });

  it("answers 401 for a missing or wrong token", async () => {
    const wrong = new SupabaseManagementAPI({ accessToken: "sbp_wrong", baseUrl: fake.url });
    const err = await thrown(wrong.getProjectApiKeys(ref));
    expect(err.status).toBe(401);
    expect(err.data).toEqual({ message: "Unauthorized" });
    const res = await fetch(`${fake.url}/v1/projects/${ref}/api-keys`);
    expect(res.status).toBe(401);
  });
});

describe("rate limits and faults", () => {
  it("sends X-RateLimit-* on every response, with Reset in seconds", async () => {
    const res = await api.getProjectApiKeys(ref);
    expect(res.headers.get("x-ratelimit-limit")).toBe("120");
    expect(res.headers.get("x-ratelimit-remaining")).toBe("119");
    const reset = Number(res.headers.get("x-ratelimit-reset"));
    expect(reset).toBeGreaterThan(0);
    expect(reset).toBeLessThanOrEqual(60);
  });

  it("limits per user and per project; after the window the call succeeds again", async () => {
    await fake.stop();
    fake = await startSupabaseFake({ accessToken: TOKEN, rateLimit: { limit: 2, windowMs: 300 } });
    ref = fake.addProject().ref;
    const other = fake.addProject().ref;
    api = new SupabaseManagementAPI({ accessToken: TOKEN, baseUrl: fake.url });
    await api.getProjectApiKeys(ref);
    await api.getProjectLegacyApiKeys(ref);
    const err = await thrown(api.getProjectApiKeys(ref));
    expect(err.status).toBe(429);
    expect(err.headers.get("x-ratelimit-remaining")).toBe("0");
    // Another project has its own budget.
    expect((await api.getProjectApiKeys(other)).status).toBe(200);
    // The client does not retry: the caller waits for X-RateLimit-Reset.
    const waitSeconds = Number(err.headers.get("x-ratelimit-reset"));
    expect(waitSeconds).toBeGreaterThanOrEqual(0);
    await new Promise((r) => setTimeout(r, 350));
    expect((await api.getProjectApiKeys(ref)).status).toBe(200);
  });

  it("injects a 429, a 5xx and a hang on one route", async () => {
    fake.rateLimitNext(1, { route: "POST /v1/projects/{ref}/api-keys" });
    expect(
      (await thrown(api.createProjectApiKey(ref, { type: "secret", name: "will_retry" }))).status,
    ).toBe(429);
    fake.failNext(1, { route: "POST /v1/projects/{ref}/api-keys", status: 503 });
    expect(
      (await thrown(api.createProjectApiKey(ref, { type: "secret", name: "will_retry" }))).status,
    ).toBe(503);
    // Neither fault created a key; the third call does.
    expect(fake.apiKeys(ref).filter((k) => k.type === "secret")).toEqual([]);
    await createSecret("will_retry");
    fake.hangNext(1, { route: "/v1/projects/{ref}/api-keys" });
    await expect(
      api.getProjectApiKeys(ref, undefined, { signal: AbortSignal.timeout(150) }),
    ).rejects.toThrow(/abort|timeout/i);
    expect(fake.count("POST /v1/projects/{ref}/api-keys")).toBe(3);
  });
});
