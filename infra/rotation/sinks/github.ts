/**
 * GitHub Actions secrets written straight through the REST API (for stacks
 * without the GitHub provider plugin): one public-key read per scope, then
 * one PUT per secret, each value sealed (libsodium `crypto_box_seal`) to the
 * scope's public key before it leaves the process. GitHub has no batch call.
 */
import { httpRetryable, withRetry } from "../retry";

export interface GithubSecretValue {
  name: string;
  /** Environment scope; the repository when absent. */
  environment?: string;
  /** Secret. */
  value: string;
}

export interface GithubApi {
  apiUrl: string;
  /** Secret. */
  token: string;
  owner: string;
  repo: string;
}

function classify(error: unknown) {
  const e = error as {
    status?: number;
    response?: { headers?: Record<string, string | undefined> };
  };
  const headers = e.response?.headers ?? {};
  const retryAfter = Number(headers["retry-after"]);
  const reset = Number(headers["x-ratelimit-reset"]);
  // The primary limit answers 403 with no requests left; the wait is until the reset.
  const primary = e.status === 403 && headers["x-ratelimit-remaining"] === "0";
  return {
    retry: primary || httpRetryable(e.status),
    afterMs: Number.isFinite(retryAfter)
      ? retryAfter * 1000
      : primary && Number.isFinite(reset)
        ? reset * 1000 - Date.now()
        : undefined,
  };
}

const RETRY = { attempts: 5, baseMs: 250, maxWaitMs: 30_000 };

function client(api: GithubApi) {
  const { Octokit } = require("@octokit/rest") as typeof import("@octokit/rest");
  return new Octokit({ auth: api.token, baseUrl: api.apiUrl, request: { timeout: 30_000 } });
}

export async function writeGithubSecrets(
  api: GithubApi,
  secrets: GithubSecretValue[],
): Promise<void> {
  if (secrets.length === 0) return;
  const sodium = require("libsodium-wrappers") as typeof import("libsodium-wrappers");
  await sodium.ready;
  const octokit = client(api);
  const repo = { owner: api.owner, repo: api.repo };
  const scopes = [...new Set(secrets.map((s) => s.environment ?? ""))];
  for (const scope of scopes) {
    const where = scope
      ? `environment ${scope} of ${api.owner}/${api.repo}`
      : `${api.owner}/${api.repo}`;
    const key = await withRetry(
      `GitHub: reading the public key of ${where}`,
      async () =>
        (scope
          ? await octokit.actions.getEnvironmentPublicKey({ ...repo, environment_name: scope })
          : await octokit.actions.getRepoPublicKey(repo)
        ).data,
      classify,
      RETRY,
    );
    const publicKey = sodium.from_base64(key.key, sodium.base64_variants.ORIGINAL);
    for (const s of secrets.filter((x) => (x.environment ?? "") === scope)) {
      const encrypted_value = sodium.to_base64(
        sodium.crypto_box_seal(sodium.from_string(s.value), publicKey),
        sodium.base64_variants.ORIGINAL,
      );
      await withRetry(
        `GitHub: writing secret ${s.name} of ${where}`,
        async () => {
          if (scope)
            await octokit.actions.createOrUpdateEnvironmentSecret({
              ...repo,
              environment_name: scope,
              secret_name: s.name,
              encrypted_value,
              key_id: key.key_id,
            });
          else
            await octokit.actions.createOrUpdateRepoSecret({
              ...repo,
              secret_name: s.name,
              encrypted_value,
              key_id: key.key_id,
            });
        },
        classify,
        RETRY,
      );
    }
  }
}

export async function removeGithubSecrets(
  api: GithubApi,
  secrets: Omit<GithubSecretValue, "value">[],
): Promise<void> {
  const octokit = client(api);
  const repo = { owner: api.owner, repo: api.repo };
  for (const s of secrets) {
    try {
      if (s.environment)
        await octokit.actions.deleteEnvironmentSecret({
          ...repo,
          environment_name: s.environment,
          secret_name: s.name,
        });
      else await octokit.actions.deleteRepoSecret({ ...repo, secret_name: s.name });
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error;
    }
  }
}
