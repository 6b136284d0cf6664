/**
 * Vercel environment variables written straight through the REST API (for
 * stacks without the Vercel provider plugin): every rotated variable of a
 * project in ONE call, an array body with `upsert=true`, which creates or
 * replaces each key for its targets. A partial failure comes back inside the
 * 201 (`failed`), so it is checked item by item.
 */
export interface VercelEnvValue {
  key: string;
  /** Sorted subset of production, preview (sensitive values cannot target development). */
  targets: ("production" | "preview" | "development")[];
  gitBranch?: string;
  /** Secret. */
  value: string;
}

export interface VercelApi {
  apiUrl: string;
  /** Secret. */
  token: string;
  teamId?: string;
}

/**
 * The SDK retries 429 and 5xx and waits what retry-after says, but never
 * longer than maxInterval: the cap must leave room for Vercel's waits.
 */
export const VERCEL_RETRY = {
  strategy: "backoff" as const,
  backoff: { initialInterval: 250, maxInterval: 30_000, exponent: 1.8, maxElapsedTime: 120_000 },
  retryConnectionErrors: true,
};

export function vercelClient(api: VercelApi) {
  const { Vercel } = require("@vercel/sdk") as typeof import("@vercel/sdk");
  return new Vercel({
    bearerToken: api.token,
    serverURL: api.apiUrl,
    retryConfig: VERCEL_RETRY,
    timeoutMs: 30_000,
  });
}

/** Vercel error bodies carry codes and keys, never values; still, only these fields travel on. */
function describe(error: unknown): string {
  const e = error as { statusCode?: number; body?: string; message?: string };
  if (typeof e.statusCode === "number") {
    try {
      const parsed = JSON.parse(e.body ?? "{}") as { error?: { code?: string; message?: string } };
      return `HTTP ${e.statusCode} ${parsed.error?.code ?? ""}: ${parsed.error?.message ?? ""}`.trim();
    } catch {
      return `HTTP ${e.statusCode}`;
    }
  }
  return e.message ?? String(error);
}

export async function writeVercelEnv(
  api: VercelApi,
  project: string,
  values: VercelEnvValue[],
): Promise<void> {
  if (values.length === 0) return;
  const vercel = vercelClient(api);
  let result: { failed?: { error: { key?: string; code?: string; message?: string } }[] };
  try {
    result = await vercel.projects.createProjectEnv({
      idOrName: project,
      ...(api.teamId ? { teamId: api.teamId } : {}),
      upsert: "true",
      requestBody: values.map((v) => ({
        key: v.key,
        value: v.value,
        type: "sensitive" as const,
        target: v.targets,
        ...(v.gitBranch ? { gitBranch: v.gitBranch } : {}),
        comment: "rotated by runbooks",
      })),
    });
  } catch (error) {
    throw new Error(
      `Vercel: writing ${values.map((v) => v.key).join(", ")} to project ${project} failed: ${describe(error)}`,
    );
  }
  const failed = result.failed ?? [];
  if (failed.length > 0)
    throw new Error(
      `Vercel refused ${failed.length} of ${values.length} variables of project ${project}: ` +
        failed
          .map(
            (f) => `${f.error.key ?? "?"} (${f.error.code ?? "error"}: ${f.error.message ?? ""})`,
          )
          .join("; "),
    );
}

/** Remove the variables (by key, targets and branch) this sink wrote; absent ones are fine. */
export async function removeVercelEnv(
  api: VercelApi,
  project: string,
  values: Omit<VercelEnvValue, "value">[],
): Promise<void> {
  const vercel = vercelClient(api);
  const team = api.teamId ? { teamId: api.teamId } : {};
  const listed = (await vercel.projects.filterProjectEnvs({ idOrName: project, ...team })) as {
    envs?: { id?: string; key?: string; target?: unknown; gitBranch?: string }[];
  };
  for (const env of listed.envs ?? []) {
    const match = values.find(
      (v) =>
        v.key === env.key &&
        (v.gitBranch ?? "") === (env.gitBranch ?? "") &&
        JSON.stringify([...v.targets].sort()) ===
          JSON.stringify([...((env.target as string[]) ?? [])].sort()),
    );
    if (match && env.id)
      await vercel.projects.removeProjectEnv({ idOrName: project, id: env.id, ...team });
  }
}

export { describe as describeVercelError };
