/**
 * One rotation world for the provider integration tests: a real Postgres
 * database with a group role declared by the same SQL the local harness runs,
 * the Vercel/GitHub/Supabase stand-ins on loopback, the stand-in app behind
 * the Vercel project (a READY deployment starts it with that deployment's
 * env), and `up()`: the rotation providers called in the order the engine
 * runs them (credentials → sinks → rollout → revocations), each with its
 * previous outputs as `olds`, as the engine passes them.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import {
  deployOnReady,
  startAppDeployments,
  type AppDeployments,
} from "../../../infra/local/app-deployments";
import { startGitHubFake, type GitHubFake } from "../../../infra/local/fakes/github";
import { startSupabaseFake, type SupabaseFake } from "../../../infra/local/fakes/supabase";
import { startVercelFake, type VercelFake } from "../../../infra/local/fakes/vercel/index";
import { createTestDatabase } from "../../../infra/local/postgres";
import { closePools } from "../../../infra/postgres/client";
import type { AuditLocation } from "../../../infra/rotation/audit";
import type {
  CredentialInputs,
  RevocationInputs,
  RolloutInputs,
} from "../../../infra/rotation/inputs";
import { maxAgeDaysOf, rolloutId } from "../../../infra/rotation/stack-plan";
import {
  groupRoleDeclaration,
  groupRoleSql,
  type GroupRoleDeclaration,
} from "../../../infra/rotation/postgres-roles";
import {
  createCredentialProvider,
  type CredentialOutputs,
} from "../../../infra/rotation/providers/credential";
import {
  createRevocationProvider,
  type RevocationOutputs,
} from "../../../infra/rotation/providers/revocation";
import {
  createRolloutProvider,
  type RolloutOutputs,
} from "../../../infra/rotation/providers/rollout";
import {
  createGithubSecretsProvider,
  createVercelEnvProvider,
  type GithubSecretsInputs,
  type VercelEnvInputs,
} from "../../../infra/rotation/providers/sinks";
import { services } from "../../support/services";

export const PROJECT = "web";
export const OWNER = "acme";
export const REPO = "app";

export interface World {
  db: { url: string; name: string };
  roles: GroupRoleDeclaration;
  vercel: VercelFake;
  github: GitHubFake;
  supabase: SupabaseFake;
  supabaseRef: string;
  app: AppDeployments;
  auditFile: string;
  audit: AuditLocation;
  tokens: { vercel: string; github: string; supabase: string };
  /** Every secret value the world has seen (tokens, passwords, generated values). */
  secrets(): string[];
  /** Superuser SQL on the test database. */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  dispose(): Promise<void>;
}

export async function createWorld(label: string): Promise<World> {
  const admin = services().postgres.adminUrl;
  const db = await createTestDatabase(admin, `rot_${label}`);
  const roles = groupRoleDeclaration({
    name: `rot-${label}-${randomBytes(3).toString("hex")}`,
    schemas: ["public"],
    privileges: ["SELECT", "INSERT", "UPDATE", "DELETE"],
  });
  const sql = async <T>(text: string, params?: unknown[]) => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query(text, params)).rows as T[];
    } finally {
      await c.end();
    }
  };
  await sql(groupRoleSql(roles, "postgres"));
  const tokens = {
    vercel: `vcp_${randomBytes(12).toString("hex")}`,
    github: `ghp_${randomBytes(18).toString("hex")}`,
    supabase: `sbp_${randomBytes(20).toString("hex")}`,
  };
  const vercel = await startVercelFake({ token: tokens.vercel, buildDurationMs: 60 });
  vercel.addProject({ name: PROJECT });
  vercel.addDeployment(PROJECT, { target: "production" });
  const github = await startGitHubFake({
    token: tokens.github,
    repos: [{ owner: OWNER, repo: REPO, environments: ["production"] }],
  });
  const supabase = await startSupabaseFake({ accessToken: tokens.supabase });
  const { ref: supabaseRef } = supabase.addProject({});
  const app = await startAppDeployments({ initialEnv: { DATABASE_URL: db.url }, graceMs: 200 });
  const unhook = deployOnReady(vercel, PROJECT, app);
  const dir = mkdtempSync(join(tmpdir(), "runbooks-rotation-"));
  const auditFile = join(dir, "audit.jsonl");
  const seen = new Set<string>([
    ...Object.values(tokens),
    decodeURIComponent(new URL(admin).password),
  ]);
  return {
    db,
    roles,
    vercel,
    github,
    supabase,
    supabaseRef,
    app,
    auditFile,
    audit: { kind: "file", path: auditFile },
    tokens,
    secrets: () => [...seen],
    sql,
    async dispose() {
      unhook();
      await app.stop();
      await Promise.all([vercel.stop(), github.stop(), supabase.stop()]);
      await closePools();
      await db.drop();
      const c = new Client({ connectionString: admin });
      await c.connect();
      try {
        for (const r of [...roles.logins, roles.group]) await c.query(`drop role if exists ${r}`);
      } finally {
        await c.end();
      }
      rmSync(dir, { recursive: true, force: true });
    },
    // `seen` is filled by the runner as values are generated.
    ...{ _seen: seen },
  } as World & { _seen: Set<string> };
}

export interface RunOptions {
  request?: string;
  emergency?: string;
  rollback?: string;
  epoch?: number;
  gateUrl?: string;
  /** Clock for the providers (RUNBOOKS_ROTATION_CLOCK). */
  now?: Date;
}

export interface RunResult {
  /** Steps that ran, in order: `credential:<name>:<create|update>`, `vercel-env`, `rollout`, `revocation:<name>`. */
  steps: string[];
  error?: Error;
}

type Declared = Pick<
  CredentialInputs,
  "name" | "kind" | "intervalDays" | "overlapMinutes" | "generic" | "supabase"
> & {
  vercelKey?: string;
  githubName?: string;
  previousKey?: string;
};

/**
 * The providers in engine order. Each resource's state lives in `states`, and
 * a failed step leaves its state as it was, as the engine does — except for a
 * failure carrying state (StepFailedWithState), whose properties the engine
 * records.
 */
export class Runner {
  readonly credentials = new Map<string, CredentialOutputs>();
  readonly revocations = new Map<string, RevocationOutputs>();
  rollout?: RolloutOutputs;
  vercelEnv?: VercelEnvInputs;
  githubSecrets?: GithubSecretsInputs;
  private readonly providers = {
    credential: createCredentialProvider(),
    vercel: createVercelEnvProvider(),
    github: createGithubSecretsProvider(),
    rollout: createRolloutProvider(),
    revocation: createRevocationProvider(),
  };

  constructor(
    private readonly world: World,
    private readonly declared: Declared[],
    private readonly gate = {
      passes: 2,
      intervalSeconds: 0.05,
      timeoutSeconds: 2,
      deadlineSeconds: 5,
    },
  ) {}

  private seen(value: string | undefined) {
    if (value) (this.world as World & { _seen: Set<string> })._seen.add(value);
  }

  credentialInputs(d: Declared, o: RunOptions, after?: string): CredentialInputs {
    const w = this.world;
    return {
      stack: "it",
      name: d.name,
      kind: d.kind,
      intervalDays: d.intervalDays,
      maxAgeDays: maxAgeDaysOf(d),
      overlapMinutes: d.overlapMinutes,
      epoch: o.epoch ?? 0,
      staggerMinutes: 15,
      ...(after ? { after } : {}),
      ...(o.request ? { request: o.request } : {}),
      ...(o.emergency ? { emergency: o.emergency } : {}),
      ...(o.rollback ? { rollback: o.rollback } : {}),
      sinks: [{ kind: "vercel-env", target: `${PROJECT}/${d.vercelKey} (production)` }],
      ...(d.generic ? { generic: d.generic } : {}),
      ...(d.kind === "postgres-login"
        ? { postgres: { connection: w.db.url, group: w.roles.group, logins: w.roles.logins } }
        : {}),
      ...(d.kind === "supabase-secret-key"
        ? {
            supabase: {
              apiUrl: w.supabase.url,
              token: w.tokens.supabase,
              projectRef: w.supabaseRef,
            },
          }
        : {}),
      audit: w.audit,
      providerVersion: "test",
    };
  }

  async up(o: RunOptions = {}): Promise<RunResult> {
    const previousClock = process.env.RUNBOOKS_ROTATION_CLOCK;
    if (o.now) process.env.RUNBOOKS_ROTATION_CLOCK = o.now.toISOString();
    const steps: string[] = [];
    try {
      await this.run(o, steps);
      return { steps };
    } catch (error) {
      return { steps, error: error as Error };
    } finally {
      if (previousClock === undefined) delete process.env.RUNBOOKS_ROTATION_CLOCK;
      else process.env.RUNBOOKS_ROTATION_CLOCK = previousClock;
    }
  }

  private async run(o: RunOptions, steps: string[]): Promise<void> {
    const w = this.world;
    const p = this.providers;
    let after: string | undefined;
    const latest = (a: string | undefined, b: string) =>
      a === undefined || Date.parse(b) > Date.parse(a) ? b : a;
    for (const d of this.declared) {
      const news = this.credentialInputs(d, o, after);
      const olds = this.credentials.get(d.name);
      if (!olds) {
        const { outs } = await p.credential.create(news);
        this.credentials.set(d.name, outs as CredentialOutputs);
        steps.push(`credential:${d.name}:create`);
      } else if ((await p.credential.diff("", olds, news)).changes) {
        const { outs } = await p.credential.update("", olds, news);
        this.credentials.set(d.name, outs as CredentialOutputs);
        steps.push(`credential:${d.name}:update`);
      }
      const c = this.credentials.get(d.name)!;
      this.seen(c.current);
      this.seen(c.previous);
      after = latest(after, c.rotatedAt);
    }
    const variables: VercelEnvInputs["variables"] = this.declared.flatMap((d) => {
      const c = this.credentials.get(d.name)!;
      return [
        ...(d.vercelKey
          ? [
              {
                key: d.vercelKey,
                targets: ["production" as const],
                value: c.current,
                credential: d.name,
                generationId: c.currentId,
              },
            ]
          : []),
        ...(d.previousKey
          ? [
              {
                key: d.previousKey,
                targets: ["production" as const],
                value: c.previousOrCurrent,
                credential: d.name,
                generationId: c.currentId,
              },
            ]
          : []),
      ];
    });
    const env: VercelEnvInputs = {
      stack: "it",
      apiUrl: w.vercel.url,
      token: w.tokens.vercel,
      project: PROJECT,
      variables,
      audit: w.audit,
      providerVersion: "test",
    };
    if (!this.vercelEnv || (await p.vercel.diff("", this.vercelEnv as never, env)).changes) {
      if (this.vercelEnv) await p.vercel.update("", this.vercelEnv as never, env);
      else await p.vercel.create(env);
      this.vercelEnv = env;
      steps.push("vercel-env");
    }
    const secrets: GithubSecretsInputs["secrets"] = this.declared.flatMap((d) => {
      const c = this.credentials.get(d.name)!;
      return d.githubName
        ? [
            {
              name: d.githubName,
              environment: "production",
              value: c.current,
              credential: d.name,
              generationId: c.currentId,
            },
          ]
        : [];
    });
    if (secrets.length > 0) {
      const gh: GithubSecretsInputs = {
        stack: "it",
        apiUrl: w.github.url,
        token: w.tokens.github,
        owner: OWNER,
        repo: REPO,
        secrets,
        audit: w.audit,
        providerVersion: "test",
      };
      if (
        !this.githubSecrets ||
        (await p.github.diff("", this.githubSecrets as never, gh)).changes
      ) {
        if (this.githubSecrets) await p.github.update("", this.githubSecrets as never, gh);
        else await p.github.create(gh);
        this.githubSecrets = gh;
        steps.push("github-secrets");
      }
    }
    const rollout: RolloutInputs = {
      stack: "it",
      carries: Object.fromEntries(
        this.declared.map((d) => [d.name, this.credentials.get(d.name)!.currentId]),
      ),
      rolloutId: rolloutId(
        Object.fromEntries(
          this.declared.map((d) => [
            d.name,
            {
              id: this.credentials.get(d.name)!.currentId,
              rotatedAt: this.credentials.get(d.name)!.rotatedAt,
            },
          ]),
        ),
      ),
      vercel: { apiUrl: w.vercel.url, token: w.tokens.vercel, projects: [PROJECT] },
      gates: [
        {
          url: o.gateUrl ?? `${w.app.url}/api/health`,
          ...this.gate,
          credentials: this.declared.map((d) => d.name),
        },
      ],
      audit: w.audit,
      providerVersion: "test",
    };
    if (!this.rollout || (await p.rollout.diff("", this.rollout, rollout)).changes) {
      steps.push("rollout");
      const { outs } = this.rollout
        ? await p.rollout.update("", this.rollout, rollout)
        : await p.rollout.create(rollout);
      this.rollout = outs as RolloutOutputs;
    }
    for (const d of this.declared) {
      const c = this.credentials.get(d.name)!;
      const news: RevocationInputs = {
        stack: "it",
        name: d.name,
        kind: d.kind,
        ...(d.generic ? { generic: d.generic } : {}),
        ...(c.postgres ? { postgres: c.postgres } : {}),
        ...(c.supabase ? { supabase: c.supabase } : {}),
        retired: c.state.retired,
        current: c.state.current,
        ...(c.state.previous && c.state.previousExpiresAt
          ? { previous: { slot: c.state.previous, until: c.state.previousExpiresAt } }
          : {}),
        verifiedId: this.rollout.verified[d.name] ?? "",
        audit: w.audit,
        providerVersion: "test",
      };
      const olds = this.revocations.get(d.name);
      try {
        if (!olds) {
          steps.push(`revocation:${d.name}`);
          this.revocations.set(d.name, (await p.revocation.create(news)).outs as RevocationOutputs);
        } else if ((await p.revocation.diff("", olds, news)).changes) {
          steps.push(`revocation:${d.name}`);
          this.revocations.set(
            d.name,
            (await p.revocation.update("", olds, news)).outs as RevocationOutputs,
          );
        }
      } catch (error) {
        const withState = error as { properties?: RevocationOutputs };
        if (withState.properties) this.revocations.set(d.name, withState.properties);
        throw error;
      }
    }
  }
}

/** Can `url` log in and run a query right now? */
export async function canConnect(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  // A revocation may end the session at any moment; that is an answer, not a crash.
  c.on("error", () => undefined);
  try {
    await c.connect();
    await c.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}
