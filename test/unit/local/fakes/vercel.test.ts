/**
 * The Vercel fake, driven through `@vercel/sdk`: the SDK validates every 2xx
 * body, and `strictly()` also fails on fields the SDK only filled in leniently.
 * Raw `fetch` is used only where the SDK has no method (billing) or would
 * refuse to send the request (bodies that break its own request schema).
 */
import { Vercel } from "@vercel/sdk";
import { ResponseValidationError } from "@vercel/sdk/models/responsevalidationerror.js";
import { SDKError } from "@vercel/sdk/models/sdkerror.js";
import { RequestTimeoutError } from "@vercel/sdk/models/httpclienterrors.js";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  startVercelFake,
  type VercelFake,
  type FocusCharge,
} from "../../../../infra/local/fakes/vercel/index";
import { strictly } from "./support/strict-vercel";

const TOKEN = "vcp_test_token_4c1f";
const DB_URL = "postgres://app:pw-first-7f3a@db.internal:5432/app";
const DB_URL_ROTATED = "postgres://app:pw-second-91bd@db.internal:5432/app";
const SERVICE_KEY = "sb_secret_sensitive_value_1e2d";
const SECRETS = [TOKEN, DB_URL, DB_URL_ROTATED, SERVICE_KEY];
const TEAM = { id: "team_a1b2c3d4e5f6g7h8i9j0k1l2", slug: "acme" };

let fake: VercelFake;
let vercel: Vercel;
let printed: string[];

beforeEach(async () => {
  printed = [];
  fake = await startVercelFake({
    token: TOKEN,
    teams: [TEAM],
    // Long enough that a poll sees each state on a loaded machine.
    buildDurationMs: 200,
    onRequest: (e) => printed.push(`${e.method} ${e.route} ${e.status}`),
  });
  vercel = new Vercel({ bearerToken: TOKEN, serverURL: fake.url });
});

afterEach(async () => {
  // Nothing the fake logged may carry a secret.
  const logged = JSON.stringify([printed, fake.requests()]);
  for (const s of SECRETS) expect(logged).not.toContain(s);
  await fake.stop();
});

function errorBody(err: unknown): { status: number; body: { error: Record<string, unknown> } } {
  expect(err).toBeInstanceOf(SDKError);
  const e = err as SDKError;
  return { status: e.statusCode, body: JSON.parse(e.body) as { error: Record<string, unknown> } };
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail");
}

/** The fields these tests read, common to every variant of the SDK's deployment type. */
interface DeploymentState {
  readyState: string;
  readySubstate?: string;
  aliasAssigned?: boolean;
  errorCode?: string;
  errorMessage?: string | null;
  errorLink?: string;
}

async function settle(id: string): Promise<DeploymentState> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const d = await strictly(() => vercel.deployments.getDeployment({ idOrUrl: id }));
    if (!["QUEUED", "INITIALIZING", "BUILDING"].includes(d.readyState)) return d as DeploymentState;
    if (Date.now() > deadline) throw new Error(`deployment ${id} still ${d.readyState}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function seedWeb() {
  const project = fake.addProject({ name: "web" });
  fake.addEnv("web", {
    key: "DATABASE_URL",
    value: DB_URL,
    type: "encrypted",
    target: ["production", "preview"],
  });
  fake.addEnv("web", {
    key: "SUPABASE_SECRET_KEY",
    value: SERVICE_KEY,
    type: "sensitive",
    target: ["production"],
  });
  fake.addEnv("web", {
    key: "PUBLIC_FLAG",
    value: "on",
    type: "plain",
    target: ["production", "preview", "development"],
  });
  const production = fake.addDeployment("web", { target: "production" });
  return { project, production };
}

describe("projects", () => {
  it("gets a project by id and by name, with its current production deployment", async () => {
    const { project, production } = seedWeb();
    const byId = await strictly(() => vercel.projects.getProject({ idOrName: project.id }));
    const byName = await strictly(() => vercel.projects.getProject({ idOrName: "web" }));
    expect(byId.id).toBe(project.id);
    expect(byName.id).toBe(project.id);
    expect(byName.targets?.production?.id).toBe(production.id);
    expect(byName.targets?.production?.readyState).toBe("READY");
  });

  it("answers not_found for an unknown project, and hides a team's project without teamId", async () => {
    fake.addProject({ name: "team-web", teamId: TEAM.id });
    const missing = errorBody(await caught(vercel.projects.getProject({ idOrName: "nope" })));
    expect(missing).toEqual({
      status: 404,
      body: { error: { code: "not_found", message: "Project not found" } },
    });
    expect(
      errorBody(await caught(vercel.projects.getProject({ idOrName: "team-web" }))).status,
    ).toBe(404);
    const viaTeam = await strictly(() =>
      vercel.projects.getProject({ idOrName: "team-web", teamId: TEAM.id }),
    );
    expect(viaTeam.accountId).toBe(TEAM.id);
    const viaSlug = await strictly(() =>
      vercel.projects.getProject({ idOrName: "team-web", slug: TEAM.slug }),
    );
    expect(viaSlug.name).toBe("team-web");
    const otherTeam = errorBody(
      await caught(vercel.projects.getProject({ idOrName: "team-web", teamId: "team_other" })),
    );
    expect(otherTeam.status).toBe(403);
    expect(otherTeam.body.error.code).toBe("forbidden");
  });

  it("lists projects page by page with the `from` cursor", async () => {
    for (const name of ["a", "b", "c", "d", "e"]) fake.addProject({ name });
    const seen: string[] = [];
    let from: string | undefined;
    for (;;) {
      const page = await strictly(() =>
        vercel.projects.getProjects({ limit: "2", ...(from ? { from } : {}) }),
      );
      const body = page as {
        projects: { name: string }[];
        pagination: { count: number; next: number | null };
      };
      seen.push(...body.projects.map((p) => p.name));
      expect(body.pagination.count).toBe(body.projects.length);
      if (body.pagination.next === null) break;
      from = String(body.pagination.next);
    }
    expect(seen.sort()).toEqual(["a", "b", "c", "d", "e"]);
  });
});

describe("authentication", () => {
  it("refuses a missing or wrong bearer token with Vercel's forbidden body", async () => {
    seedWeb();
    for (const token of ["wrong", ""]) {
      const client = new Vercel({ bearerToken: token, serverURL: fake.url });
      const { status, body } = errorBody(
        await caught(client.projects.getProject({ idOrName: "web" })),
      );
      expect(status).toBe(403);
      expect(body.error).toEqual({
        code: "forbidden",
        message: "Not authorized",
        invalidToken: true,
      });
    }
  });
});

describe("environment variables", () => {
  it("lists variables without revealing encrypted or sensitive values", async () => {
    seedWeb();
    const { envs } = (await strictly(() =>
      vercel.projects.filterProjectEnvs({ idOrName: "web" }),
    )) as {
      envs: { key: string; value: string; type: string; decrypted?: boolean }[];
    };
    const byKey = Object.fromEntries(envs.map((e) => [e.key, e]));
    expect(byKey.DATABASE_URL!.value).not.toContain("pw-first");
    expect(byKey.DATABASE_URL!.decrypted).toBe(false);
    expect(byKey.SUPABASE_SECRET_KEY!.value).toBe("");
    expect(byKey.PUBLIC_FLAG!.value).toBe("on");
    const decrypted = (await strictly(() =>
      vercel.projects.filterProjectEnvs({ idOrName: "web", decrypt: "true" }),
    )) as {
      envs: { key: string; value: string }[];
    };
    const values = Object.fromEntries(decrypted.envs.map((e) => [e.key, e.value]));
    expect(values.DATABASE_URL).toBe(DB_URL);
    // Sensitive stays unreadable even when decryption is asked for.
    expect(values.SUPABASE_SECRET_KEY).toBe("");
  });

  it("reads one variable decrypted, but never a sensitive one", async () => {
    seedWeb();
    const { envs } = (await vercel.projects.filterProjectEnvs({ idOrName: "web" })) as {
      envs: { id: string; key: string }[];
    };
    const id = (key: string) => envs.find((e) => e.key === key)!.id;
    const db = await strictly(() =>
      vercel.projects.getProjectEnv({ idOrName: "web", id: id("DATABASE_URL") }),
    );
    expect(db).toMatchObject({ key: "DATABASE_URL", value: DB_URL, decrypted: true });
    const sensitive = await strictly(() =>
      vercel.projects.getProjectEnv({ idOrName: "web", id: id("SUPABASE_SECRET_KEY") }),
    );
    expect(sensitive).toMatchObject({
      key: "SUPABASE_SECRET_KEY",
      type: "sensitive",
      decrypted: false,
    });
    expect(sensitive).not.toHaveProperty("value");
  });

  it("creates one variable, or many in one call with partial failures inside the 201", async () => {
    seedWeb();
    const one = await strictly(() =>
      vercel.projects.createProjectEnv({
        idOrName: "web",
        requestBody: { key: "NEW_ONE", value: "1", type: "encrypted", target: ["production"] },
      }),
    );
    expect(Array.isArray(one.created)).toBe(false);
    expect(one.failed).toEqual([]);

    const many = await strictly(() =>
      vercel.projects.createProjectEnv({
        idOrName: "web",
        requestBody: [
          { key: "BATCH_OK", value: "2", type: "encrypted", target: ["production", "preview"] },
          { key: "BAD_SENSITIVE", value: "3", type: "sensitive", target: ["development"] },
          { key: "DATABASE_URL", value: "dup", type: "encrypted", target: ["production"] },
        ],
      }),
    );
    expect((many.created as { key: string }[]).map((c) => c.key)).toEqual(["BATCH_OK"]);
    expect(many.failed.map((f) => f.error.key)).toEqual(["BAD_SENSITIVE", "DATABASE_URL"]);
    expect(many.failed[0]!.error.message).toMatch(/Sensitive .* Development/);
    expect(many.failed[1]!.error.code).toBe("ENV_CONFLICT");
    // The conflicting write changed nothing.
    expect(fake.envValue("web", "DATABASE_URL", "production")).toBe(DB_URL);
    expect(fake.envValue("web", "BATCH_OK", "preview")).toBe("2");
    expect(fake.envValue("web", "BAD_SENSITIVE", "development")).toBeUndefined();
  });

  it("upserts: the same key and target replaces the value and keeps the id", async () => {
    seedWeb();
    const before = (await vercel.projects.filterProjectEnvs({ idOrName: "web" })) as {
      envs: { id: string; key: string }[];
    };
    const id = before.envs.find((e) => e.key === "DATABASE_URL")!.id;
    const res = await strictly(() =>
      vercel.projects.createProjectEnv({
        idOrName: "web",
        upsert: "true",
        requestBody: [
          {
            key: "DATABASE_URL",
            value: DB_URL_ROTATED,
            type: "encrypted",
            target: ["production", "preview"],
          },
        ],
      }),
    );
    expect(res.failed).toEqual([]);
    expect((res.created as { id: string }[])[0]!.id).toBe(id);
    expect(fake.envValue("web", "DATABASE_URL", "production")).toBe(DB_URL_ROTATED);
  });

  it("rejects a body that breaks the schema with Vercel's 400 bad_request", async () => {
    seedWeb();
    const post = (body: unknown) =>
      fetch(`${fake.url}/v10/projects/web/env?upsert=true`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    for (const [body, hint] of [
      [{ key: "X", value: "1", type: "secretish", target: ["production"] }, /type/],
      [{ key: "X", value: "1", type: "plain" }, /target/],
      [{ key: "X", value: "1", type: "plain", target: ["staging"] }, /target/],
      [
        { key: "X", value: "1", type: "plain", target: ["production"], extra: true },
        /additional property `extra`/,
      ],
      [[], /fewer than 1/],
    ] as const) {
      const res = await post(body);
      expect(res.status).toBe(400);
      const json = (await res.json()) as { error: { code: string; message: string } };
      expect(json.error.code).toBe("bad_request");
      expect(json.error.message).toMatch(hint);
    }
    const notJson = await fetch(`${fake.url}/v10/projects/web/env`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(notJson.status).toBe(400);
  });

  it("edits and removes a variable; a sensitive one cannot become readable", async () => {
    seedWeb();
    const { envs } = (await vercel.projects.filterProjectEnvs({ idOrName: "web" })) as {
      envs: { id: string; key: string }[];
    };
    const id = (key: string) => envs.find((e) => e.key === key)!.id;
    const edited = await strictly(() =>
      vercel.projects.editProjectEnv({
        idOrName: "web",
        id: id("DATABASE_URL"),
        requestBody: { value: DB_URL_ROTATED },
      }),
    );
    expect(edited.key).toBe("DATABASE_URL");
    expect(fake.envValue("web", "DATABASE_URL", "production")).toBe(DB_URL_ROTATED);

    const toPlain = errorBody(
      await caught(
        vercel.projects.editProjectEnv({
          idOrName: "web",
          id: id("SUPABASE_SECRET_KEY"),
          requestBody: { type: "plain" },
        }),
      ),
    );
    expect(toPlain.status).toBe(400);
    expect(toPlain.body.error.code).toBe("bad_request");

    // Writing a new value to a sensitive variable is allowed (write-only).
    await strictly(() =>
      vercel.projects.editProjectEnv({
        idOrName: "web",
        id: id("SUPABASE_SECRET_KEY"),
        requestBody: { value: "sb_secret_next" },
      }),
    );
    expect(fake.envValue("web", "SUPABASE_SECRET_KEY", "production")).toBe("sb_secret_next");

    const removed = await strictly(() =>
      vercel.projects.removeProjectEnv({ idOrName: "web", id: id("PUBLIC_FLAG") }),
    );
    expect((removed as { key: string }).key).toBe("PUBLIC_FLAG");
    const gone = errorBody(
      await caught(vercel.projects.removeProjectEnv({ idOrName: "web", id: id("PUBLIC_FLAG") })),
    );
    expect(gone.status).toBe(404);
  });
});

describe("deployments", () => {
  it("redeploys: QUEUED, then BUILDING, then READY, and promotes it to production", async () => {
    const { project, production } = seedWeb();
    const created = await strictly(() =>
      vercel.deployments.createDeployment({
        forceNew: "1",
        requestBody: {
          deploymentId: production.id,
          name: "web",
          target: "production",
          meta: { action: "redeploy" },
        },
      }),
    );
    expect(created.readyState).toBe("QUEUED");
    expect(created.id).not.toBe(production.id);
    const states = new Set<string>([created.readyState]);
    for (;;) {
      const d = await strictly(() => vercel.deployments.getDeployment({ idOrUrl: created.id }));
      states.add(d.readyState);
      if (d.readyState === "READY") break;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect([...states]).toEqual(expect.arrayContaining(["QUEUED", "BUILDING", "READY"]));
    const ready = await strictly(() =>
      vercel.deployments.getDeployment({ idOrUrl: (created as { url: string }).url }),
    );
    expect(ready).toMatchObject({
      readyState: "READY",
      readySubstate: "PROMOTED",
      aliasAssigned: true,
    });
    const after = await strictly(() => vercel.projects.getProject({ idOrName: project.id }));
    expect(after.targets?.production?.id).toBe(created.id);
  });

  it("snapshots the env at creation: a changed variable reaches only new deployments", async () => {
    const { production } = seedWeb();
    expect(fake.deploymentEnv(production.id).DATABASE_URL).toBe(DB_URL);
    const { envs } = (await vercel.projects.filterProjectEnvs({ idOrName: "web" })) as {
      envs: { id: string; key: string }[];
    };
    await vercel.projects.editProjectEnv({
      idOrName: "web",
      id: envs.find((e) => e.key === "DATABASE_URL")!.id,
      requestBody: { value: DB_URL_ROTATED },
    });
    // The running deployment still has the old value.
    expect(fake.deploymentEnv(production.id).DATABASE_URL).toBe(DB_URL);
    const events: { id: string; env: Record<string, string> }[] = [];
    fake.onDeploymentReady(({ deployment, env }) => {
      events.push({ id: deployment.id, env });
    });
    const redeploy = await vercel.deployments.createDeployment({
      forceNew: "1",
      requestBody: {
        deploymentId: production.id,
        name: "web",
        target: "production",
        meta: { action: "redeploy" },
      },
    });
    await settle(redeploy.id);
    expect(fake.deploymentEnv(redeploy.id)).toMatchObject({
      DATABASE_URL: DB_URL_ROTATED,
      SUPABASE_SECRET_KEY: SERVICE_KEY,
      VERCEL_ENV: "production",
      VERCEL_DEPLOYMENT_ID: redeploy.id,
    });
    expect(events).toHaveLength(1);
    expect(events[0]!.id).toBe(redeploy.id);
    expect(events[0]!.env.DATABASE_URL).toBe(DB_URL_ROTATED);
  });

  it("a preview deployment gets preview values, and branch values override them", async () => {
    seedWeb();
    fake.addEnv("web", {
      key: "DATABASE_URL",
      value: "postgres://branch",
      type: "encrypted",
      target: ["preview"],
      gitBranch: "feat-x",
    });
    const preview = fake.addDeployment("web", { target: "preview", gitBranch: "feat-x" });
    const env = fake.deploymentEnv(preview.id);
    expect(env.DATABASE_URL).toBe("postgres://branch");
    expect(env).not.toHaveProperty("SUPABASE_SECRET_KEY");
    expect(env.VERCEL_ENV).toBe("preview");
  });

  for (const state of ["CANCELED", "ERROR", "BLOCKED"] as const) {
    it(`an injected ${state} end leaves production where it was`, async () => {
      const { project, production } = seedWeb();
      fake.nextDeploymentEnds(state, { project: "web" });
      const d = await vercel.deployments.createDeployment({
        forceNew: "1",
        requestBody: {
          deploymentId: production.id,
          name: "web",
          target: "production",
          meta: { action: "redeploy" },
        },
      });
      const end = await settle(d.id);
      expect(end.readyState).toBe(state);
      expect(end.aliasAssigned).toBe(false);
      expect(end.readySubstate).toBeUndefined();
      if (state === "CANCELED") expect(end.errorMessage).toMatch(/Ignored Build Step/);
      else expect(end.errorCode).toBeTruthy();
      expect(fake.project(project.id).productionDeploymentId).toBe(production.id);
      // The switch was one-shot: the next redeploy succeeds.
      const next = await vercel.deployments.createDeployment({
        requestBody: { deploymentId: production.id, name: "web", target: "production" },
      });
      expect((await settle(next.id)).readyState).toBe("READY");
    });
  }

  it("a project whose Ignored Build Step exits 0 cancels every redeploy", async () => {
    fake.addProject({ name: "ignored", ignoredBuildStepCancels: true });
    const first = fake.addDeployment("ignored", { target: "production" });
    const d = await vercel.deployments.createDeployment({
      requestBody: { deploymentId: first.id, name: "ignored", target: "production" },
    });
    const end = await settle(d.id);
    expect(end.readyState).toBe("CANCELED");
    expect(end.errorLink).toMatch(/ignored-build-step/);
  });

  it("a rejecting ready hook turns the deployment into ERROR", async () => {
    const { production } = seedWeb();
    fake.onDeploymentReady(() => Promise.reject(new Error("stand-in app did not start")));
    const d = await vercel.deployments.createDeployment({
      requestBody: { deploymentId: production.id, name: "web", target: "production" },
    });
    expect((await settle(d.id)).readyState).toBe("ERROR");
    expect(fake.project("web").productionDeploymentId).toBe(production.id);
  });

  it("lists deployments by project and target, newest first, paging with `until`", async () => {
    const { project } = seedWeb();
    const t0 = Date.now() - 100_000;
    for (let i = 0; i < 5; i++)
      fake.addDeployment("web", { target: "production", createdAt: t0 + i * 1000 });
    fake.addDeployment("web", { target: "preview", createdAt: t0 + 10_000 });
    const ids: string[] = [];
    let until: number | undefined;
    for (;;) {
      const page = await strictly(() =>
        vercel.deployments.getDeployments({
          projectId: project.id,
          target: "production",
          limit: 2,
          ...(until ? { until } : {}),
        }),
      );
      ids.push(...page.deployments.map((d) => d.uid));
      for (const d of page.deployments) expect(d.target).toBe("production");
      if (page.pagination.next === null) break;
      until = page.pagination.next;
    }
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
    const created = ids.map((id) => fake.deployment(id).createdAt);
    expect([...created].sort((a, b) => b - a)).toEqual(created);
  });

  it("refuses a deployment from files, naming what is supported", async () => {
    seedWeb();
    const err = errorBody(
      await caught(
        vercel.deployments.createDeployment({ requestBody: { name: "web", files: [] } }),
      ),
    );
    expect(err.status).toBe(400);
    expect(String(err.body.error.message)).toMatch(/deploymentId.*gitSource/);
  });
});

describe("rollback and promote", () => {
  it("rolls production back, pauses auto-promotion, and promote resumes it", async () => {
    const { project, production: older } = seedWeb();
    const newer = fake.addDeployment("web", { target: "production" });
    expect(fake.project("web").productionDeploymentId).toBe(newer.id);

    const candidates = await strictly(() =>
      vercel.deployments.getDeployments({
        projectId: project.id,
        target: "production",
        rollbackCandidate: true,
      }),
    );
    expect(candidates.deployments.map((d) => d.uid)).toEqual([older.id]);

    await strictly(() =>
      vercel.projects.requestRollback({ projectId: project.id, deploymentId: older.id }),
    );
    const rolledBack = await strictly(() => vercel.projects.getProject({ idOrName: project.id }));
    expect(rolledBack.targets?.production?.id).toBe(older.id);
    expect(rolledBack.lastAliasRequest).toMatchObject({
      type: "rollback",
      fromDeploymentId: newer.id,
      toDeploymentId: older.id,
      jobStatus: "succeeded",
    });
    expect(rolledBack.autoAssignCustomDomains).toBe(false);

    // While rolled back, a new production build is READY but not promoted.
    const fix = await vercel.deployments.createDeployment({
      requestBody: { deploymentId: newer.id, name: "web", target: "production" },
    });
    const built = await settle(fix.id);
    expect(built).toMatchObject({
      readyState: "READY",
      readySubstate: "STAGED",
      aliasAssigned: false,
    });
    expect(fake.project("web").productionDeploymentId).toBe(older.id);

    await strictly(() =>
      vercel.projects.requestPromote({ projectId: project.id, deploymentId: fix.id }),
    );
    const promoted = await strictly(() => vercel.projects.getProject({ idOrName: project.id }));
    expect(promoted.targets?.production?.id).toBe(fix.id);
    expect(promoted.autoAssignCustomDomains).toBe(true);
  });

  it("refuses to roll back to the current deployment or to a preview", async () => {
    const { project, production } = seedWeb();
    const preview = fake.addDeployment("web", { target: "preview" });
    const current = errorBody(
      await caught(
        vercel.projects.requestRollback({ projectId: project.id, deploymentId: production.id }),
      ),
    );
    expect(current.status).toBe(409);
    const toPreview = errorBody(
      await caught(
        vercel.projects.requestRollback({ projectId: project.id, deploymentId: preview.id }),
      ),
    );
    expect(toPreview.status).toBe(400);
    expect(fake.project("web").productionDeploymentId).toBe(production.id);
  });

  it("answers 404 for a deployment of another project, on rollback and on promote", async () => {
    const { project, production } = seedWeb();
    fake.addProject({ name: "docs" });
    const foreign = fake.addDeployment("docs", { target: "production" });
    for (const request of [
      () => vercel.projects.requestRollback({ projectId: project.id, deploymentId: foreign.id }),
      () => vercel.projects.requestPromote({ projectId: project.id, deploymentId: foreign.id }),
    ]) {
      const refused = errorBody(await caught(request()));
      expect(refused.status).toBe(404);
      expect(refused.body.error).toMatchObject({ code: "not_found" });
    }
    expect(fake.project("web").productionDeploymentId).toBe(production.id);
    expect(fake.project("docs").productionDeploymentId).toBe(foreign.id);
  });
});

describe("rate limits and faults", () => {
  it("answers an injected 429 with Vercel's body and retry-after; the SDK's retry honours it", async () => {
    seedWeb();
    fake.rateLimitNext(1, { route: "GET /v9/projects/{idOrName}", retryAfterSeconds: 1 });
    const { status, body } = errorBody(
      await caught(vercel.projects.getProject({ idOrName: "web" })),
    );
    expect(status).toBe(429);
    expect(body.error).toMatchObject({
      code: "rate_limited",
      limit: { remaining: 0, total: 10_000 },
    });
    const limit = body.error.limit as { reset: number; resetMs: number };
    expect(limit.reset).toBe(Math.ceil(limit.resetMs / 1000));

    fake.rateLimitNext(1, { route: "GET /v9/projects/{idOrName}", retryAfterSeconds: 2 });
    const retrying = new Vercel({
      bearerToken: TOKEN,
      serverURL: fake.url,
      // maxInterval caps the SDK's wait, retry-after included: leave room for 2 s.
      retryConfig: {
        strategy: "backoff",
        backoff: { initialInterval: 10, maxInterval: 3000, exponent: 1.5, maxElapsedTime: 5000 },
      },
    });
    const started = Date.now();
    const project = await strictly(() => retrying.projects.getProject({ idOrName: "web" }));
    expect(project.name).toBe("web");
    // The SDK waited for retry-after (2 s); its own backoff here is at most
    // 10 ms plus up to 1 s of jitter.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(
      fake
        .requests()
        .filter((r) => r.route === "/v9/projects/{idOrName}")
        .map((r) => r.status),
    ).toEqual([429, 429, 200]);
  });

  it("enforces its quota per route and says when it resets", async () => {
    await fake.stop();
    fake = await startVercelFake({ token: TOKEN, rateLimit: { limit: 2, windowMs: 60_000 } });
    vercel = new Vercel({ bearerToken: TOKEN, serverURL: fake.url });
    seedWeb();
    await vercel.projects.getProject({ idOrName: "web" });
    await vercel.projects.getProject({ idOrName: "web" });
    const err = await caught(vercel.projects.getProject({ idOrName: "web" }));
    const { status, body } = errorBody(err);
    expect(status).toBe(429);
    expect(body.error.limit).toMatchObject({ remaining: 0, total: 2 });
    expect(Number((err as SDKError).headers.get("retry-after"))).toBeGreaterThan(0);
    // Another route has its own budget.
    await strictly(() => vercel.projects.filterProjectEnvs({ idOrName: "web" }));
  });

  it("injects 5xx answers, one route at a time, and the SDK retries through them", async () => {
    seedWeb();
    fake.failNext(1, { route: "/v10/projects/{idOrName}/env", status: 503 });
    const failed = errorBody(await caught(vercel.projects.filterProjectEnvs({ idOrName: "web" })));
    expect(failed.status).toBe(503);
    expect(failed.body.error.code).toBe("internal_server_error");
    // Other routes are unaffected.
    await vercel.projects.getProject({ idOrName: "web" });

    fake.failNext(2, { route: "/v10/projects/{idOrName}/env" });
    const retrying = new Vercel({
      bearerToken: TOKEN,
      serverURL: fake.url,
      retryConfig: {
        strategy: "backoff",
        backoff: { initialInterval: 5, maxInterval: 20, exponent: 1.5, maxElapsedTime: 5000 },
      },
    });
    await strictly(() => retrying.projects.filterProjectEnvs({ idOrName: "web" }));
    expect(fake.count("GET /v10/projects/{idOrName}/env")).toBe(4);
    expect(fake.countsByRoute()["GET /v9/projects/{idOrName}"]).toBe(1);
  });

  it("hangs a call until the client's timeout fires", async () => {
    seedWeb();
    fake.hangNext(1, { route: "/v13/deployments/{idOrUrl}" });
    const impatient = new Vercel({ bearerToken: TOKEN, serverURL: fake.url, timeoutMs: 150 });
    const { production } = { production: fake.project("web").productionDeploymentId! };
    const err = await caught(impatient.deployments.getDeployment({ idOrUrl: production }));
    expect(err).toBeInstanceOf(RequestTimeoutError);
    const ok = await strictly(() => impatient.deployments.getDeployment({ idOrUrl: production }));
    expect(ok.readyState).toBe("READY");
    expect(fake.requests().map((r) => r.status)).toEqual([0, 200]);
  });

  it("a corrupted readyState makes the SDK throw ResponseValidationError (the SDK checks the fake)", async () => {
    const { production } = seedWeb();
    fake.corruptNext(1, (body) => ({ ...(body as object), readyState: "DONE" }), {
      route: "/v13/deployments/{idOrUrl}",
    });
    const err = await caught(vercel.deployments.getDeployment({ idOrUrl: production.id }));
    expect(err).toBeInstanceOf(ResponseValidationError);
    // And strictly() catches what the SDK lets through leniently: a missing required field.
    fake.corruptNext(
      1,
      (body) => {
        const { name: _name, ...rest } = body as Record<string, unknown>;
        return rest;
      },
      { route: "/v9/projects/{idOrName}" },
    );
    await expect(strictly(() => vercel.projects.getProject({ idOrName: "web" }))).rejects.toThrow(
      /missing required/,
    );
  });
});

describe("billing charges (FOCUS v1.3 JSON lines)", () => {
  const charge = (
    day: string,
    service: string,
    cost: number,
    extra: Partial<FocusCharge> = {},
  ): FocusCharge => ({
    BilledCost: cost,
    BillingCurrency: "USD",
    ChargeCategory: "Usage",
    ChargePeriodStart: `${day}T00:00:00.000Z`,
    ChargePeriodEnd: new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString(),
    ConsumedQuantity: cost * 10,
    ConsumedUnit: "GB-Hours",
    EffectiveCost: cost,
    PricingCategory: "Standard",
    PricingCurrency: "USD",
    PricingQuantity: cost * 10,
    PricingUnit: "GB-Hours",
    ServiceName: service,
    ServiceProviderName: "Vercel",
    Tags: { project: "web" },
    ...extra,
  });

  const get = (query: string, headers: Record<string, string> = {}) =>
    fetch(`${fake.url}/v1/billing/charges?${query}`, {
      headers: { authorization: `Bearer ${TOKEN}`, ...headers },
    });

  const REQUIRED = [
    "BilledCost",
    "BillingCurrency",
    "ChargeCategory",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ConsumedQuantity",
    "ConsumedUnit",
    "EffectiveCost",
    "PricingCategory",
    "PricingCurrency",
    "PricingQuantity",
    "PricingUnit",
    "ServiceName",
    "ServiceProviderName",
    "Tags",
  ];

  it("streams the team's charges in [from, to) as JSON lines with every required FOCUS column", async () => {
    fake.addCharges(TEAM.id, [
      charge("2026-02-27", "Functions", 1.25),
      charge("2026-02-28", "Functions", 2.5),
      charge("2026-03-01", "Edge Requests", 0.75),
    ]);
    fake.addCharges(fake.user.id, [charge("2026-02-28", "Functions", 99)]);
    const res = await get(`teamId=${TEAM.id}&from=2026-02-28T00:00:00Z&to=2026-03-01T00:00:00Z`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/jsonl");
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    for (const col of REQUIRED) expect(lines[0]).toHaveProperty(col);
    expect(lines[0]!.BilledCost).toBe(2.5);
  });

  it("end of a billing cycle: rows from both cycles carry their own BillingPeriod, credits included", async () => {
    await fake.stop();
    fake = await startVercelFake({ token: TOKEN, teams: [TEAM], billingCycleDay: 15 });
    fake.addCharges(TEAM.id, [
      charge("2026-03-14", "Functions", 4),
      charge("2026-03-14", "Credits", -3, {
        ChargeCategory: "Credit",
        BilledCost: -3,
        EffectiveCost: -3,
      }),
      charge("2026-03-15", "Functions", 0.5),
    ]);
    const res = await get(`slug=${TEAM.slug}&from=2026-03-14T00:00:00Z&to=2026-03-16T00:00:00Z`);
    const rows = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as FocusCharge);
    expect(rows.map((r) => [r.ChargeCategory, r.BillingPeriodStart])).toEqual([
      ["Usage", "2026-02-15T00:00:00.000Z"],
      ["Credit", "2026-02-15T00:00:00.000Z"],
      ["Usage", "2026-03-15T00:00:00.000Z"],
    ]);
    // The old cycle nets to 1 USD; the new one starts low. A guard summing
    // BilledCost per BillingPeriodStart must not read the drop as "spend stopped".
    const perCycle: Record<string, number> = {};
    for (const r of rows)
      perCycle[String(r.BillingPeriodStart)] =
        (perCycle[String(r.BillingPeriodStart)] ?? 0) + r.BilledCost;
    expect(perCycle).toEqual({ "2026-02-15T00:00:00.000Z": 1, "2026-03-15T00:00:00.000Z": 0.5 });
  });

  it("compresses with gzip when asked", async () => {
    fake.addCharges(TEAM.id, [charge("2026-02-28", "Functions", 2.5)]);
    // fetch would decompress transparently; read the raw bytes with node:http instead.
    const http = await import("node:http");
    const raw = await new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) => {
      http
        .get(
          `${fake.url}/v1/billing/charges?teamId=${TEAM.id}&from=2026-02-01T00:00:00Z&to=2026-03-01T00:00:00Z`,
          { headers: { authorization: `Bearer ${TOKEN}`, "accept-encoding": "gzip" } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () =>
              resolve({ encoding: res.headers["content-encoding"], body: Buffer.concat(chunks) }),
            );
          },
        )
        .on("error", reject);
    });
    expect(raw.encoding).toBe("gzip");
    expect(JSON.parse(gunzipSync(raw.body).toString("utf8").trim()).ServiceName).toBe("Functions");
  });

  it("validates from/to and the one-year range, and requires the token", async () => {
    for (const [query, hint] of [
      [`teamId=${TEAM.id}&to=2026-03-01T00:00:00Z`, /from/],
      [`teamId=${TEAM.id}&from=2026-03-01T00:00:00Z`, /to/],
      [`teamId=${TEAM.id}&from=yesterday&to=2026-03-01T00:00:00Z`, /ISO 8601/],
      [`teamId=${TEAM.id}&from=2026-03-01T00:00:00Z&to=2026-02-01T00:00:00Z`, /after/],
      [`teamId=${TEAM.id}&from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`, /1 year/],
    ] as const) {
      const res = await get(query);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("bad_request");
      expect(body.error.message).toMatch(hint);
    }
    const anonymous = await fetch(
      `${fake.url}/v1/billing/charges?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z`,
    );
    expect(anonymous.status).toBe(403);
  });
});
