/**
 * The GitHub Actions secrets fake, driven through `@octokit/rest` (plus the
 * official retry and throttling plugins where retries are the point), with
 * values sealed by libsodium exactly as GitHub's docs prescribe.
 */
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import sodium from "libsodium-wrappers";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startGitHubFake, type GitHubFake } from "../../../../infra/local/fakes/github";

const TOKEN = "ghp_testtoken0123456789abcdefABCDEF0123";
const VALUE = "pw-🔑-7d1e-rotated";
const OTHER = "second-value-0c3a";
const REPO = { owner: "acme", repo: "web" };
const ENV = { ...REPO, environment_name: "production" };

let fake: GitHubFake;
let octokit: Octokit;

beforeAll(async () => {
  await sodium.ready;
});

beforeEach(async () => {
  fake = await startGitHubFake({
    token: TOKEN,
    repos: [{ ...REPO, environments: ["production", "preview"] }],
  });
  octokit = new Octokit({ auth: TOKEN, baseUrl: fake.url, log: quietLog });
});

afterEach(async () => {
  const logged = JSON.stringify(fake.requests());
  for (const s of [TOKEN, VALUE, OTHER]) expect(logged).not.toContain(s);
  await fake.stop();
});

const quietLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function seal(value: string, publicKey: string): string {
  const sealed = sodium.crypto_box_seal(
    sodium.from_string(value),
    sodium.from_base64(publicKey, sodium.base64_variants.ORIGINAL),
  );
  return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
}

async function failure(
  p: Promise<unknown>,
): Promise<{ status: number; data: Record<string, unknown>; headers: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    const e = err as {
      status: number;
      response?: { data: Record<string, unknown>; headers: Record<string, unknown> };
    };
    expect(e.response, "Octokit attaches the response to a RequestError").toBeDefined();
    return { status: e.status, data: e.response!.data, headers: e.response!.headers };
  }
  throw new Error("expected the call to fail");
}

async function putRepoSecret(name: string, value: string) {
  const { data: key } = await octokit.rest.actions.getRepoPublicKey(REPO);
  return octokit.rest.actions.createOrUpdateRepoSecret({
    ...REPO,
    secret_name: name,
    encrypted_value: seal(value, key.key),
    key_id: key.key_id,
  });
}

describe("repository secrets", () => {
  it("round-trips a sealed value: 201 on create, 204 on update, readable only through the control", async () => {
    const { data: key } = await octokit.rest.actions.getRepoPublicKey(REPO);
    expect(key.key_id).toMatch(/^\d+$/);
    expect(sodium.from_base64(key.key, sodium.base64_variants.ORIGINAL)).toHaveLength(
      sodium.crypto_box_PUBLICKEYBYTES,
    );
    const created = await octokit.rest.actions.createOrUpdateRepoSecret({
      ...REPO,
      secret_name: "database_url",
      encrypted_value: seal(VALUE, key.key),
      key_id: key.key_id,
    });
    expect(created.status).toBe(201);
    expect(fake.secretValue({ owner: "acme", repo: "web" }, "DATABASE_URL")).toBe(VALUE);
    const updated = await octokit.rest.actions.createOrUpdateRepoSecret({
      ...REPO,
      secret_name: "DATABASE_URL",
      encrypted_value: seal(OTHER, key.key),
      key_id: key.key_id,
    });
    expect(updated.status).toBe(204);
    expect(fake.secretValue({ owner: "acme", repo: "web" }, "database_url")).toBe(OTHER);
    const { data: meta } = await octokit.rest.actions.getRepoSecret({
      ...REPO,
      secret_name: "database_url",
    });
    expect(Object.keys(meta).sort()).toEqual(["created_at", "name", "updated_at"]);
    expect(meta.name).toBe("DATABASE_URL");
    expect(meta.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it("lists with total_count and pages through the Link header", async () => {
    for (const n of ["A_ONE", "B_TWO", "C_THREE", "D_FOUR", "E_FIVE"])
      await putRepoSecret(n, VALUE);
    const first = await octokit.rest.actions.listRepoSecrets({ ...REPO, per_page: 2 });
    expect(first.data.total_count).toBe(5);
    expect(first.data.secrets.map((s) => s.name)).toEqual(["A_ONE", "B_TWO"]);
    expect(first.headers.link).toMatch(/page=2>; rel="next"/);
    expect(first.headers.link).toMatch(/page=3>; rel="last"/);
    const all = await octokit.paginate(octokit.rest.actions.listRepoSecrets, {
      ...REPO,
      per_page: 2,
    });
    expect(all.map((s) => s.name)).toEqual(["A_ONE", "B_TWO", "C_THREE", "D_FOUR", "E_FIVE"]);
    expect(fake.count("GET /repos/{owner}/{repo}/actions/secrets")).toBe(4);
  });

  it("deletes with 204, then answers GitHub's 404", async () => {
    await putRepoSecret("GONE", VALUE);
    const deleted = await octokit.rest.actions.deleteRepoSecret({ ...REPO, secret_name: "GONE" });
    expect(deleted.status).toBe(204);
    expect(fake.secretValue({ owner: "acme", repo: "web" }, "GONE")).toBeUndefined();
    const again = await failure(
      octokit.rest.actions.deleteRepoSecret({ ...REPO, secret_name: "GONE" }),
    );
    expect(again.status).toBe(404);
    expect(again.data).toEqual({
      message: "Not Found",
      documentation_url: "https://docs.github.com/rest",
      status: "404",
    });
  });
});

describe("environment secrets", () => {
  it("keeps each environment's secrets and key apart from the repository's", async () => {
    const { data: envKey } = await octokit.rest.actions.getEnvironmentPublicKey(ENV);
    const { data: repoKey } = await octokit.rest.actions.getRepoPublicKey(REPO);
    expect(envKey.key_id).not.toBe(repoKey.key_id);
    const put = await octokit.rest.actions.createOrUpdateEnvironmentSecret({
      ...ENV,
      secret_name: "SUPABASE_SECRET_KEY",
      encrypted_value: seal(VALUE, envKey.key),
      key_id: envKey.key_id,
    });
    expect(put.status).toBe(201);
    expect(
      fake.secretValue(
        { owner: "acme", repo: "web", environment: "production" },
        "SUPABASE_SECRET_KEY",
      ),
    ).toBe(VALUE);
    expect(
      fake.secretValue(
        { owner: "acme", repo: "web", environment: "preview" },
        "SUPABASE_SECRET_KEY",
      ),
    ).toBeUndefined();
    expect(fake.secretValue({ owner: "acme", repo: "web" }, "SUPABASE_SECRET_KEY")).toBeUndefined();
    const { data: list } = await octokit.rest.actions.listEnvironmentSecrets(ENV);
    expect(list.total_count).toBe(1);
    const { data: meta } = await octokit.rest.actions.getEnvironmentSecret({
      ...ENV,
      secret_name: "SUPABASE_SECRET_KEY",
    });
    expect(meta.name).toBe("SUPABASE_SECRET_KEY");
    expect(
      (
        await octokit.rest.actions.deleteEnvironmentSecret({
          ...ENV,
          secret_name: "SUPABASE_SECRET_KEY",
        })
      ).status,
    ).toBe(204);
  });

  it("a value sealed to the repository key does not open for the environment", async () => {
    const { data: envKey } = await octokit.rest.actions.getEnvironmentPublicKey(ENV);
    const { data: repoKey } = await octokit.rest.actions.getRepoPublicKey(REPO);
    const res = await failure(
      octokit.rest.actions.createOrUpdateEnvironmentSecret({
        ...ENV,
        secret_name: "X",
        encrypted_value: seal(VALUE, repoKey.key),
        key_id: envKey.key_id,
      }),
    );
    expect(res.status).toBe(422);
    expect(String(res.data.message)).toMatch(/could not be decrypted/);
  });

  it("answers 404 for an environment or repository that does not exist", async () => {
    expect(
      (
        await failure(
          octokit.rest.actions.getEnvironmentPublicKey({ ...REPO, environment_name: "staging" }),
        )
      ).status,
    ).toBe(404);
    expect(
      (await failure(octokit.rest.actions.getRepoPublicKey({ owner: "acme", repo: "nope" })))
        .status,
    ).toBe(404);
  });
});

describe("validation (422)", () => {
  it("rejects values that are not sealed boxes, stale key ids, missing fields, bad names and oversize secrets", async () => {
    const { data: key } = await octokit.rest.actions.getRepoPublicKey(REPO);
    const put = (secret_name: string, encrypted_value: string, key_id: string) =>
      failure(
        octokit.rest.actions.createOrUpdateRepoSecret({
          ...REPO,
          secret_name,
          encrypted_value,
          key_id,
        }),
      );

    const notSealed = await put(
      "A",
      Buffer.from("plain text, not a sealed box at all!!").toString("base64"),
      key.key_id,
    );
    expect(notSealed.status).toBe(422);
    expect(notSealed.data.documentation_url).toBe("https://docs.github.com/rest/actions/secrets");

    expect((await put("A", "@@not-base64@@", key.key_id)).status).toBe(422);
    expect((await put("GITHUB_TOKEN", seal(VALUE, key.key), key.key_id)).data.message).toMatch(
      /GITHUB_/,
    );
    expect((await put("1ST", seal(VALUE, key.key), key.key_id)).data.message).toMatch(/number/);
    expect(
      (await put("A", seal("x".repeat(48 * 1024 + 1), key.key), key.key_id)).data.message,
    ).toMatch(/48 KB/);

    const missing = await fetch(`${fake.url}/repos/acme/web/actions/secrets/A`, {
      method: "PUT",
      headers: { authorization: `token ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ encrypted_value: seal(VALUE, key.key) }),
    });
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as { message: string }).message).toContain(
      '"key_id" wasn\'t supplied',
    );

    // After GitHub rotates the key pair, the old key_id is stale.
    const rotated = fake.rotatePublicKey({ owner: "acme", repo: "web" });
    expect(rotated.key_id).not.toBe(key.key_id);
    const stale = await put("A", seal(VALUE, key.key), key.key_id);
    expect(stale.status).toBe(422);
    expect(String(stale.data.message)).toMatch(/key_id/);
    expect(fake.secrets({ owner: "acme", repo: "web" })).toEqual([]);
  });

  it("a secret stored before a key rotation stays readable", async () => {
    await putRepoSecret("KEPT", VALUE);
    fake.rotatePublicKey({ owner: "acme", repo: "web" });
    expect(fake.secretValue({ owner: "acme", repo: "web" }, "KEPT")).toBe(VALUE);
  });
});

describe("authentication", () => {
  it("answers 401 with GitHub's bodies for a missing or bad token", async () => {
    const anonymous = new Octokit({ baseUrl: fake.url, log: quietLog });
    const none = await failure(anonymous.rest.actions.getRepoPublicKey(REPO));
    expect(none).toMatchObject({
      status: 401,
      data: {
        message: "Requires authentication",
        documentation_url: "https://docs.github.com/rest",
      },
    });
    const wrong = new Octokit({ auth: "ghp_wrong", baseUrl: fake.url, log: quietLog });
    expect((await failure(wrong.rest.actions.getRepoPublicKey(REPO))).data.message).toBe(
      "Bad credentials",
    );
  });
});

describe("rate limits and faults", () => {
  it("reports the primary quota on every response", async () => {
    const res = await octokit.rest.actions.getRepoPublicKey(REPO);
    expect(res.headers["x-ratelimit-limit"]).toBe("5000");
    expect(res.headers["x-ratelimit-remaining"]).toBe("4999");
    expect(res.headers["x-ratelimit-resource"]).toBe("core");
    expect(Number(res.headers["x-ratelimit-reset"])).toBeGreaterThan(Date.now() / 1000);
  });

  it("an exhausted quota answers 403 with remaining 0; the throttling plugin waits for the reset", async () => {
    await fake.stop();
    fake = await startGitHubFake({
      token: TOKEN,
      repos: [{ ...REPO }],
      rateLimit: { limit: 2, windowMs: 1000 },
    });
    const plain = new Octokit({ auth: TOKEN, baseUrl: fake.url, log: quietLog });
    await plain.rest.actions.getRepoPublicKey(REPO);
    await plain.rest.actions.getRepoPublicKey(REPO);
    const limited = await failure(plain.rest.actions.getRepoPublicKey(REPO));
    expect(limited.status).toBe(403);
    expect(limited.headers["x-ratelimit-remaining"]).toBe("0");
    expect(String(limited.data.message)).toMatch(/API rate limit exceeded/);

    const Throttled = Octokit.plugin(throttling);
    let waitedFor = -1;
    const throttled = new Throttled({
      auth: TOKEN,
      baseUrl: fake.url,
      log: quietLog,
      throttle: {
        // The plugin multiplies its wait (seconds) by this; keep the test short.
        retryAfterBaseValue: 500,
        onRateLimit: (after: number, _o: unknown, _k: unknown, count: number) => {
          waitedFor = after;
          return count < 2;
        },
        onSecondaryRateLimit: () => false,
      },
    });
    const res = await throttled.rest.actions.getRepoPublicKey(REPO);
    expect(res.status).toBe(200);
    // The wait came from x-ratelimit-reset (epoch seconds, so up to a second
    // of rounding on the 1 s window) plus the plugin's extra second.
    expect(waitedFor).toBeGreaterThanOrEqual(1);
    expect(waitedFor).toBeLessThanOrEqual(3);
  });

  it("an injected secondary limit answers 429 with retry-after, and the plugin honours it", async () => {
    fake.rateLimitNext(1, {
      route: "/repos/{owner}/{repo}/actions/secrets/public-key",
      retryAfterSeconds: 3,
    });
    const Throttled = Octokit.plugin(throttling);
    const seen: number[] = [];
    const throttled = new Throttled({
      auth: TOKEN,
      baseUrl: fake.url,
      log: quietLog,
      throttle: {
        retryAfterBaseValue: 10,
        onRateLimit: () => false,
        onSecondaryRateLimit: (after: number) => {
          seen.push(after);
          return true;
        },
      },
    });
    const res = await throttled.rest.actions.getRepoPublicKey(REPO);
    expect(res.status).toBe(200);
    expect(seen).toEqual([3]);
    expect(fake.requests().map((r) => [r.status, r.fault])).toEqual([
      [429, "rateLimit"],
      [200, undefined],
    ]);
  });

  it("injected 5xx answers are retried by the retry plugin; without it the error surfaces", async () => {
    fake.failNext(1, { status: 502 });
    expect((await failure(octokit.rest.actions.getRepoPublicKey(REPO))).status).toBe(502);
    fake.failNext(2);
    const Retrying = Octokit.plugin(retry);
    const retrying = new Retrying({
      auth: TOKEN,
      baseUrl: fake.url,
      log: quietLog,
      retry: { retryAfterBaseValue: 5 },
    });
    const res = await retrying.rest.actions.getRepoPublicKey(REPO);
    expect(res.status).toBe(200);
    expect(fake.requests().map((r) => r.status)).toEqual([502, 500, 500, 200]);
  });

  it("a hung call ends at the client's abort signal; the next call works", async () => {
    fake.hangNext(1);
    const hung = octokit.rest.actions.getRepoPublicKey({
      ...REPO,
      request: { signal: AbortSignal.timeout(150) },
    });
    await expect(hung).rejects.toThrow(/abort|timeout/i);
    expect((await octokit.rest.actions.getRepoPublicKey(REPO)).status).toBe(200);
  });
});
