/**
 * Supabase secret API keys (`sb_secret_…`) through the Management API. Unlike
 * the legacy JWT keys, several secret keys are valid at once, so a new key can
 * roll out while the old one still works; the old one is deleted after the
 * gate.
 *
 * Keys are named after their generation (`runbooks_<credential>_g<N>`), so a
 * rotation the engine was killed in the middle of finds the key it already
 * created and adopts it instead of leaving it behind.
 */
import type { CredentialSource } from "./source";
import { httpRetryable, withRetry, type RetryOptions } from "../retry";
import { snakeName } from "../postgres-roles";

export interface SupabaseKeyOptions {
  apiUrl: string;
  /** Management API access token. Secret. */
  token: string;
  projectRef: string;
  credential: string;
  retry?: Partial<RetryOptions>;
  timeoutMs?: number;
}

interface ApiKey {
  id: string;
  name: string;
  type?: string | null;
  api_key?: string | null;
}

export function keyName(credential: string, generation: number): string {
  return `runbooks_${snakeName(credential)}_g${generation}`.slice(0, 64);
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" ? status : undefined;
}

function classify(error: unknown) {
  const status = statusOf(error);
  const headers = (error as { headers?: Headers }).headers;
  const reset = Number(headers?.get?.("x-ratelimit-reset"));
  return {
    retry: httpRetryable(status),
    afterMs: status === 429 && Number.isFinite(reset) ? reset * 1000 : undefined,
  };
}

export function supabaseSecretKeySource(o: SupabaseKeyOptions): CredentialSource {
  const retry: RetryOptions = { attempts: 5, baseMs: 250, maxWaitMs: 10_000, ...o.retry };
  const client = () => {
    const { SupabaseManagementAPI } =
      require("supabase-management-js") as typeof import("supabase-management-js");
    return new SupabaseManagementAPI({ accessToken: o.token, baseUrl: o.apiUrl });
  };
  const signal = () => ({ signal: AbortSignal.timeout(o.timeoutMs ?? 15_000) });
  const call = <T>(what: string, fn: () => Promise<T>) =>
    withRetry(`Supabase Management API: ${what} (project ${o.projectRef})`, fn, classify, retry);

  const list = async (): Promise<ApiKey[]> =>
    (
      await call("list API keys", () =>
        client().getProjectApiKeys(o.projectRef, { reveal: true }, signal()),
      )
    ).data as ApiKey[];

  return {
    async create(generation) {
      const name = keyName(o.credential, generation);
      const existing = (await list()).find((k) => k.name === name && k.type === "secret");
      const key =
        existing ??
        ((
          await call("create a secret API key", () =>
            client().createProjectApiKey(
              o.projectRef,
              {
                type: "secret",
                name,
                description: `rotated by runbooks (${o.credential}, generation ${generation})`,
              },
              { reveal: true },
              signal(),
            ),
          )
        ).data as ApiKey);
      if (!key.api_key)
        throw new Error(
          `the Supabase Management API returned secret key ${key.id} without its value (reveal=true was asked)`,
        );
      return {
        slot: {
          id: key.id,
          generation,
          createdAt: new Date().toISOString(),
          detail: { keyName: name, projectRef: o.projectRef, adopted: existing ? "yes" : "no" },
        },
        value: key.api_key,
      };
    },

    async revoke(entry, live) {
      if (live.some((s) => s.id === entry.id))
        throw new Error(`refusing to revoke the live key ${entry.id}`);
      try {
        await call(`delete secret API key ${entry.id}`, () =>
          client().deleteProjectApiKey(
            o.projectRef,
            entry.id,
            { was_compromised: entry.reason === "emergency" },
            signal(),
          ),
        );
        return { detail: { keyName: entry.detail.keyName ?? "", action: "deleted" } };
      } catch (error) {
        // Already gone (a revocation the engine was killed after): revoked is revoked.
        if (statusOf((error as Error).cause) === 404)
          return { detail: { keyName: entry.detail.keyName ?? "", action: "already deleted" } };
        throw error;
      }
    },
  };
}

/** Keys this credential created that the state does not know (left by a crash), by id. */
export async function strayKeys(
  o: SupabaseKeyOptions,
  known: ReadonlySet<string>,
): Promise<string[]> {
  const { SupabaseManagementAPI } =
    require("supabase-management-js") as typeof import("supabase-management-js");
  const api = new SupabaseManagementAPI({ accessToken: o.token, baseUrl: o.apiUrl });
  const prefix = `runbooks_${snakeName(o.credential)}_g`;
  const keys = (await api.getProjectApiKeys(o.projectRef, { reveal: false })).data as ApiKey[];
  return keys.filter((k) => k.name.startsWith(prefix) && !known.has(k.id)).map((k) => k.id);
}
