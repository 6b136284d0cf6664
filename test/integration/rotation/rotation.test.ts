/**
 * The rotation providers against real Postgres 15 (alternating login roles)
 * and the Vercel, GitHub and Supabase stand-ins driven through their official
 * clients, in the order the engine runs them. Engine-level cases (the local
 * stack, crashes) are in test/e2e/rotation.test.ts.
 */
import { readFileSync } from "node:fs";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChain } from "../../../infra/rotation/audit";
import { canConnect, createWorld, OWNER, PROJECT, REPO, Runner, type World } from "./world";

const DAY = 86_400_000;
let w: World;
let r: Runner;
const t0 = new Date("2030-01-01T00:00:00Z");
const at = (days: number) => new Date(t0.getTime() + days * DAY);

beforeAll(async () => {
  w = await createWorld("main");
  r = new Runner(w, [
    {
      name: "app-db-login",
      kind: "postgres-login",
      intervalDays: 30,
      overlapMinutes: 60,
      vercelKey: "DATABASE_URL",
      githubName: "DATABASE_URL",
    },
    {
      name: "session-secret",
      kind: "generic",
      intervalDays: 30,
      overlapMinutes: 60,
      generic: { length: 40, alphabet: "base64url" },
      vercelKey: "SESSION_SECRET",
      previousKey: "SESSION_SECRET_PREVIOUS",
    },
    {
      name: "service-key",
      kind: "supabase-secret-key",
      intervalDays: 30,
      overlapMinutes: 60,
      vercelKey: "SUPABASE_SECRET_KEY",
    },
  ]);
});

afterAll(async () => {
  await w?.dispose();
});

const db = () => r.credentials.get("app-db-login")!;
const key = () => r.credentials.get("service-key")!;
const session = () => r.credentials.get("session-secret")!;

function auditEvents(): { event: string; credential: string }[] {
  const { entries, problems } = verifyChain(readFileSync(w.auditFile, "utf8").split("\n"));
  expect(problems).toEqual([]);
  return entries;
}

describe("first up", () => {
  it("creates a generation of each credential, writes every sink, redeploys once and passes the gate", async () => {
    w.vercel.clearLog();
    const run = await r.up({ now: t0 });
    expect(run.error).toBeUndefined();
    expect(run.steps).toEqual([
      "credential:app-db-login:create",
      "credential:session-secret:create",
      "credential:service-key:create",
      "vercel-env",
      "github-secrets",
      "rollout",
      "revocation:app-db-login",
      "revocation:session-secret",
      "revocation:service-key",
    ]);
    expect(db().state.current.detail.login).toBe(w.roles.logins[0]);
    expect(w.vercel.envValue(PROJECT, "DATABASE_URL", "production")).toBe(db().current);
    expect(w.vercel.envValue(PROJECT, "SESSION_SECRET_PREVIOUS", "production")).toBe(
      session().current,
    );
    expect(
      w.github.secretValue({ owner: OWNER, repo: REPO, environment: "production" }, "DATABASE_URL"),
    ).toBe(db().current);
    expect(session().current).toMatch(/^[A-Za-z0-9_-]{40}$/);
    expect(w.supabase.isValidKey(key().current)).toBe(true);
    // The app serves the redeployed env, and answers through the new login.
    expect(w.app.servingEnv().DATABASE_URL).toBe(db().current);
    expect(await canConnect(db().current)).toBe(true);
    // One batched env write and one redeploy for three credentials.
    expect(w.vercel.count("POST /v10/projects/{idOrName}/env")).toBe(1);
    expect(w.vercel.count("POST /v13/deployments")).toBe(1);
    const events = auditEvents().map((e) => `${e.credential}:${e.event}`);
    expect(events).toEqual(
      expect.arrayContaining([
        "app-db-login:created",
        "app-db-login:pushed",
        "app-db-login:deployed",
        "app-db-login:verified",
      ]),
    );
    expect(events.some((e) => e.endsWith(":revoked"))).toBe(false);
  });

  it("a second up with nothing due changes nothing", async () => {
    const run = await r.up({ now: at(1) });
    expect(run.error).toBeUndefined();
    expect(run.steps).toEqual([]);
  });
});

describe("rotation due by age", () => {
  let held: Client;
  let g1: string;

  beforeAll(async () => {
    g1 = db().current;
    held = new Client({ connectionString: g1 });
    held.on("error", () => undefined);
    await held.connect();
  });
  afterAll(async () => {
    await held.end().catch(() => undefined);
  });

  it("rotates each due credential to the inactive login, keeping the previous one valid (zero downtime)", async () => {
    const run = await r.up({ now: at(31), request: undefined });
    expect(run.error).toBeUndefined();
    // Staggered: only the first due credential rotates in this run.
    expect(
      run.steps.filter((s) => s.startsWith("credential:")),
      JSON.stringify([run.steps, session().lastAction, key().lastAction]),
    ).toEqual(["credential:app-db-login:update"]);
    expect(db().generation).toBe(2);
    expect(db().state.current.detail.login).toBe(w.roles.logins[1]);
    expect(db().previous).toBe(g1);
    // The held connection never noticed; the old URL still logs in; the new one works.
    expect((await held.query("select 1 as ok")).rows[0].ok).toBe(1);
    expect(await canConnect(g1)).toBe(true);
    expect(await canConnect(db().current)).toBe(true);
    expect(w.app.servingEnv().DATABASE_URL).toBe(db().current);
    expect(r.revocations.get("app-db-login")!.revoked).toEqual([]);
  });

  it("defers the other due credentials by staggerMinutes, then rotates them on a later run", async () => {
    const deferred = await r.up({ now: new Date(at(31).getTime() + 5 * 60_000) });
    expect(deferred.steps.filter((s) => s.startsWith("credential:"))).toEqual([]);
    expect(session().lastAction.kind).toBe("create");
    const later = await r.up({ now: new Date(at(31).getTime() + 20 * 60_000) });
    expect(later.error).toBeUndefined();
    expect(later.steps.filter((s) => s.startsWith("credential:"))).toEqual([
      "credential:session-secret:update",
    ]);
    expect(w.vercel.envValue(PROJECT, "SESSION_SECRET_PREVIOUS", "production")).toBe(
      session().previous,
    );
  });

  it("a grant added after the first rotation works for both login roles, and what one login creates the other may use", async () => {
    await w.sql("create table public.added_later (id int primary key, note text)");
    await w.sql("insert into public.added_later values (1, 'x')");
    for (const url of [g1, db().current]) {
      const c = new Client({ connectionString: url });
      await c.connect();
      try {
        expect((await c.query("select count(*)::int as n from public.added_later")).rows[0].n).toBe(
          1,
        );
      } finally {
        await c.end();
      }
    }
    // The app's migrations create tables: the group may create in the schema.
    await w.sql(`grant create on schema public to ${w.roles.group}`);
    const b = new Client({ connectionString: db().current });
    await b.connect();
    await b.query("create table public.made_by_login (id int)");
    await b.end();
    const owner = await w.sql<{ owner: string }>(
      "select tableowner as owner from pg_tables where tablename = 'made_by_login'",
    );
    expect(owner[0]!.owner).toBe(w.roles.group);
    expect(await canConnect(g1)).toBe(true);
    const a = new Client({ connectionString: g1 });
    await a.connect();
    await a.query("insert into public.made_by_login values (1)");
    await a.end();
  });

  it("the third rotation revokes the generation from two rotations ago only after the gate", async () => {
    const run = await r.up({ now: at(62) });
    expect(run.error).toBeUndefined();
    expect(db().generation).toBe(3);
    expect(db().state.current.detail.login).toBe(w.roles.logins[0]);
    // g1's password was replaced by g3 on the same login; its old session is ended after the gate.
    expect(await canConnect(g1)).toBe(false);
    await expect(held.query("select 1")).rejects.toThrow();
    expect(await canConnect(db().previous!)).toBe(true);
    expect(await canConnect(db().current)).toBe(true);
    expect(r.revocations.get("app-db-login")!.revoked).toEqual([`${w.roles.logins[0]}#g1`]);
    const events = auditEvents();
    const revoked = events.findIndex(
      (e) => e.event === "revoked" && e.credential === "app-db-login",
    );
    const verified = events
      .map((e, i) => (e.event === "verified" && e.credential === "app-db-login" ? i : -1))
      .filter((i) => i >= 0)
      .pop()!;
    expect(revoked).toBeGreaterThan(verified);
  });
});

describe("supabase secret keys", () => {
  it("creates a new key while the old stays valid, deletes the key from two rotations ago after the gate", async () => {
    const k1 = key().current;
    await r.up({ now: at(62), request: "rotate-key-1" });
    const k2 = key().current;
    expect(w.supabase.isValidKey(k1)).toBe(true);
    expect(w.supabase.isValidKey(k2)).toBe(true);
    w.supabase.rateLimitNext(1, { route: "POST /v1/projects/{ref}/api-keys" });
    await r.up({ now: at(62), request: "rotate-key-2" });
    expect(w.supabase.isValidKey(k1)).toBe(false);
    expect(w.supabase.isValidKey(k2)).toBe(true);
    expect(w.supabase.isValidKey(key().current)).toBe(true);
    const ours = w.supabase
      .apiKeys(w.supabaseRef)
      .filter((k) => k.type === "secret")
      .map((k) => k.id)
      .sort();
    expect(ours).toEqual([key().state.current.id, key().state.previous!.id].sort());
  });
});

describe("emergency", () => {
  it("rotates and revokes the previous credential in the same run, after the gate", async () => {
    const before = db().current;
    const beforeKey = key().current;
    const run = await r.up({ now: at(63), emergency: "breach-1" });
    expect(run.error).toBeUndefined();
    expect(await canConnect(before)).toBe(false);
    expect(await canConnect(db().current)).toBe(true);
    expect(db().previous).toBeUndefined();
    expect(w.supabase.isValidKey(beforeKey)).toBe(false);
    expect(w.supabase.isValidKey(key().current)).toBe(true);
    expect(w.supabase.deletions(w.supabaseRef).some((d) => d.wasCompromised)).toBe(true);
    expect(w.app.servingEnv().DATABASE_URL).toBe(db().current);
  });
});

describe("failures", () => {
  it("a redeploy canceled by the Ignored Build Step fails the rollout and revokes nothing", async () => {
    const before = db().current;
    w.vercel.nextDeploymentEnds("CANCELED");
    const run = await r.up({ now: at(64), request: "after-cancel" });
    expect(run.error?.message).toMatch(/ended CANCELED.*Ignored Build Step/s);
    expect(run.steps).not.toContain("revocation:app-db-login");
    expect(await canConnect(before)).toBe(true);
    expect(await canConnect(db().current)).toBe(true);
    // The re-run converges: a new redeploy, the gate, then the revocation queue.
    const again = await r.up({ now: at(64) });
    expect(again.error).toBeUndefined();
    expect(again.steps).toContain("rollout");
    expect(w.app.servingEnv().DATABASE_URL).toBe(db().current);
  });

  it("a failed gate keeps both credentials valid; a rollback points the sinks back to the known-good one", async () => {
    const good = db().current;
    // The next login cannot open connections: the app redeployed with it is unhealthy.
    const next =
      db().state.current.detail.login === w.roles.logins[0] ? w.roles.logins[1] : w.roles.logins[0];
    await w.sql(`alter role ${next} connection limit 0`);
    const run = await r.up({ now: at(65), request: "gate-fails" });
    expect(run.error?.message).toMatch(/health gate failed.*Nothing was revoked/s);
    expect(run.steps).not.toContain("revocation:app-db-login");
    expect(db().previous).toBe(good);
    expect(await canConnect(good)).toBe(true);
    expect(w.app.servingEnv().DATABASE_URL).toBe(db().current);
    await w.sql(`alter role ${next} connection limit -1`);
    const back = await r.up({ now: at(65), rollback: "gate-fails-rollback" });
    expect(back.error).toBeUndefined();
    expect(db().current, JSON.stringify([back.steps, db().lastAction, db().state.current.id])).toBe(
      good,
    );
    expect(w.vercel.envValue(PROJECT, "DATABASE_URL", "production")).toBe(good);
    expect(w.app.servingEnv().DATABASE_URL).toBe(good);
    expect(await canConnect(db().previous!)).toBe(true);
    expect(auditEvents().some((e) => e.event === "rolled-back")).toBe(true);
  });

  it("retries a rate-limited Vercel write and redeploy", async () => {
    w.vercel.rateLimitNext(1, { route: "POST /v10/projects/{idOrName}/env", retryAfterSeconds: 1 });
    w.vercel.rateLimitNext(1, { route: "POST /v13/deployments", retryAfterSeconds: 1 });
    const run = await r.up({ now: at(66), request: "rate-limited" });
    expect(run.error).toBeUndefined();
    expect(w.vercel.envValue(PROJECT, "DATABASE_URL", "production")).toBe(db().current);
  });
});

describe("secrets", () => {
  it("no generated value, password or token appears in the audit log", () => {
    const text = readFileSync(w.auditFile, "utf8");
    const values = w.secrets().filter((s) => s.length >= 8);
    expect(values.length).toBeGreaterThan(8);
    const leaked = values.filter((s) => text.includes(s) || text.includes(encodeURIComponent(s)));
    expect(leaked.length).toBe(0);
  });
});
