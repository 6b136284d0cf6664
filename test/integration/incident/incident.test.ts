/**
 * `incident` end to end: a real database with a tenant table, a real HTTP
 * app, the Vercel and Cost Explorer stand-ins, and the backup and rotation
 * sources plugged in through their interfaces. Healthy first, then one
 * failing subsystem at a time, each with the severity the runbook gives it;
 * steps that cannot run; and the incident document.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  startCostExplorerFake,
  type CostExplorerFake,
} from "../../../infra/local/fakes/cost-explorer";
import { startVercelFake, type VercelFake } from "../../../infra/local/fakes/vercel/index";
import { createTestDatabase } from "../../../infra/local/postgres";
import type { IncidentSources, LatestBackup, RotationEvent } from "../../../infra/incident/sources";
import type { Finding } from "../../../infra/lib/findings";
import { incident, type IncidentDeps } from "../../../scripts/incident";
import { randomFrom } from "../../support/fake-secrets";
import { PRISMA_MIGRATIONS_DDL, insertMigrationRow } from "../../support/prisma-migrations";
import { services } from "../../support/services";
import { json, runScript, sleep, startServer, type TestServer } from "../checks/helpers";

const NOW = Date.now();
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const TEAM = { id: "team_incident000000000000000001", slug: "acme" };
const TOKEN = `vcp_${randomFrom(ALNUM, 24)}`;
const ACCESS_KEY = `AKIA${randomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}`;
const SECRET_KEY = randomFrom(ALNUM, 40);

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;
let db: TestDb;
let app: TestServer;
let appMode: "ok" | "down" | "slow" = "ok";
let vercel: VercelFake;
let ce: CostExplorerFake;
const root = mkdtempSync(join(tmpdir(), "runbooks-incident-"));
mkdirSync(join(root, "stacks"));

let backup: LatestBackup | undefined;
let rotationEvents: RotationEvent[] = [];
const sources: IncidentSources = {
  backups: { latest: async () => backup },
  rotation: { recent: async () => rotationEvents },
};

async function admin(): Promise<Client> {
  const c = new Client({ connectionString: db.url });
  await c.connect();
  return c;
}

function writeStack(budgetUsd: number): void {
  writeFileSync(
    join(root, "stacks", "Pulumi.prod.yaml"),
    [
      "config:",
      "  aws:region: eu-west-1",
      "  runbooks:owner: ops",
      "  runbooks:features: { github: false, backupStorage: false }",
      "  runbooks:vercel:",
      "    projectName: web",
      `    teamId: ${TEAM.id}`,
      "    gitRepository: { repo: acme/web }",
      "  runbooks:rls:",
      "    tables:",
      "      - { table: notes, tenantColumn: tenant_id }",
      "  runbooks:backup: { maxAgeHours: 26 }",
      "  runbooks:alerts:",
      `    healthCheck: { url: "${app.url}/api/health", severity: P0 }`,
      "    backupSeverity: P1",
      "    budgetSeverity: P2",
      "    routes: { P0: { emails: [oncall@acme.example] }, P1: {}, P2: {}, P3: {} }",
      "  runbooks:budgets:",
      `    - { name: aws-monthly, monthlyLimitUsd: ${budgetUsd} }`,
      "    - { name: vercel-team, provider: vercel, monthlyLimitUsd: 1000 }",
      "",
    ].join("\n"),
  );
}

beforeAll(async () => {
  db = await createTestDatabase(services().postgres.adminUrl, "incident");
  const c = await admin();
  try {
    await c.query(`
      create table public.notes (id bigint generated always as identity primary key,
        tenant_id uuid not null, body text not null);
      -- Supabase's default grants give every API role all privileges; a healthy table holds
      -- only what RLS governs (rls:smoke fails TRUNCATE, TRIGGER and REFERENCES for any of them).
      revoke all on public.notes from anon, authenticated;
      grant select, insert, update, delete on public.notes to authenticated;
      alter table public.notes enable row level security;
      alter table public.notes force row level security;
      create policy notes_tenant_select on public.notes for select to authenticated
        using (tenant_id = ((select auth.jwt()) ->> 'tenant_id')::uuid);
      create policy notes_tenant_insert on public.notes for insert to authenticated
        with check (tenant_id = ((select auth.jwt()) ->> 'tenant_id')::uuid);
      create policy notes_tenant_update on public.notes for update to authenticated
        using (tenant_id = ((select auth.jwt()) ->> 'tenant_id')::uuid)
        with check (tenant_id = ((select auth.jwt()) ->> 'tenant_id')::uuid);
      create policy notes_tenant_delete on public.notes for delete to authenticated
        using (tenant_id = ((select auth.jwt()) ->> 'tenant_id')::uuid);
    `);
  } finally {
    await c.end();
  }
  app = await startServer(async (_req, res) => {
    if (appMode === "slow") await sleep(2300);
    json(res, appMode === "down" ? 503 : 200, { status: appMode === "down" ? "down" : "ok" });
  });
  vercel = await startVercelFake({ token: TOKEN, teams: [TEAM] });
  vercel.addProject({ name: "web", teamId: TEAM.id });
  vercel.addDeployment("web", { target: "production", createdAt: NOW - 5 * 86_400_000 });
  vercel.addDeployment("web", { target: "production", createdAt: NOW - 3 * 86_400_000 });
  const today = new Date(NOW).toISOString().slice(0, 10);
  ce = await startCostExplorerFake({ accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY, today });
  const rows = [];
  for (let d = 40; d >= 0; d--) {
    const date = new Date(NOW - d * 86_400_000).toISOString().slice(0, 10);
    rows.push({ date, service: "Amazon Simple Storage Service", amount: 1 });
  }
  ce.addDailyCosts(rows);
  writeStack(10_000);
});

afterEach(() => {
  appMode = "ok";
  backup = {
    takenAt: new Date(NOW - 3 * 3_600_000).toISOString(),
    location: "s3://b/postgres/latest.dump",
  };
  rotationEvents = [];
  writeStack(10_000);
});

afterAll(async () => {
  await Promise.all([app?.close(), vercel?.stop(), ce?.stop()]);
  await db?.drop();
});

backup = {
  takenAt: new Date(NOW - 3 * 3_600_000).toISOString(),
  location: "s3://b/postgres/latest.dump",
};

const env = (over: Record<string, string | undefined> = {}) => ({
  DATABASE_URL: db.url,
  VERCEL_TOKEN: TOKEN,
  VERCEL_API_URL: vercel.url,
  AWS_ACCESS_KEY_ID: ACCESS_KEY,
  AWS_SECRET_ACCESS_KEY: SECRET_KEY,
  AWS_ENDPOINT_URL_COST_EXPLORER: ce.url,
  ...over,
});

const deps: Partial<IncidentDeps> = { sources, sleep: async () => undefined, cwd: root };

interface Envelope {
  exitCode: number;
  findings: Finding[];
  report: {
    severity: {
      severity?: string;
      reasons: string[];
      unchecked: string[];
      respondBy?: string;
      respondWithinMinutes?: number;
    };
    steps: { id: string; status: string; findings: Finding[] }[];
  };
}

async function run(argv: string[] = [], e = env(), d = deps) {
  const result = await runScript(incident, ["--stack", "prod", ...argv], { root, env: e, deps: d });
  for (const secret of [TOKEN, SECRET_KEY, new URL(db.url).password])
    expect(result.stdout + result.stderr).not.toContain(secret);
  return result;
}

async function report(argv: string[] = [], e = env(), d = deps) {
  const result = await run([...argv, "--json"], e, d);
  return { code: result.code, envelope: JSON.parse(result.stdout) as Envelope };
}

const statusOf = (e: Envelope) => Object.fromEntries(e.report.steps.map((s) => [s.id, s.status]));

describe("incident, all healthy", () => {
  it("runs every step, finds nothing, and suggests no severity (exit 0)", async () => {
    const { code, envelope } = await report();
    expect(statusOf(envelope)).toEqual({
      health: "ok",
      "db-status": "ok",
      "rls-smoke": "ok",
      "db-performance": "ok",
      cost: "ok",
      backups: "ok",
      rotation: "ok",
      deployments: "ok",
    });
    expect(envelope.findings.filter((f) => f.severity !== "info" && f.severity !== "low")).toEqual(
      [],
    );
    expect(code).toBe(0);
    expect(envelope.report.severity.severity).toBeUndefined();
  });

  it("prints one line per step and the verdict for a human", async () => {
    const result = await run();
    expect(result.stdout).toMatch(
      /^Incident report: stack prod, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/,
    );
    expect(result.stdout).toContain(
      "Suggested severity: none — every step ran and found no problem",
    );
    expect(result.stdout).toMatch(/ok {7}app health {13}UP — HTTP 200/);
    expect(result.stdout).toMatch(/ok {7}latest backup {10}the latest backup is 3 h old/);
    expect(result.stdout).toContain("Result: ALL GOOD (exit 0)");
  });
});

describe("incident, one failing subsystem at a time", () => {
  it("the app down is P0, respond immediately, next: roll back (dry run first)", async () => {
    appMode = "down";
    const { code, envelope } = await report();
    expect(code).toBe(1);
    expect(statusOf(envelope).health).toBe("problem");
    expect(envelope.report.severity).toMatchObject({ severity: "P0", respondWithinMinutes: 0 });
    expect(envelope.report.severity.reasons[0]).toMatch(/^site down: DOWN — no 2xx in 3 attempts/);
    const human = await run();
    expect(human.stdout).toContain(
      "Suggested severity: P0 — Site down or data at risk: respond immediately.",
    );
    expect(human.stdout).toContain("next: npm run rollback -- --stack prod --dry-run");
  });

  it("the app slow is P2 (degraded), respond within 4 h", async () => {
    appMode = "slow";
    const { envelope } = await report();
    expect(envelope.report.severity).toMatchObject({ severity: "P2", respondWithinMinutes: 240 });
    expect(Date.parse(envelope.report.severity.respondBy!) - Date.now()).toBeGreaterThan(
      239 * 60_000,
    );
  });

  it("a tenant able to read another tenant's rows is P0 (data at risk)", async () => {
    const c = await admin();
    try {
      await c.query("create policy leak on public.notes for select to authenticated using (true)");
      const { code, envelope } = await report();
      expect(code).toBe(1);
      expect(statusOf(envelope)["rls-smoke"]).toBe("problem");
      expect(envelope.report.severity.severity).toBe("P0");
      expect(envelope.report.severity.reasons[0]).toMatch(
        /^data at risk: public\.notes: tenant A SELECT on B's row was allowed/,
      );
    } finally {
      await c.query("drop policy leak on public.notes");
      await c.end();
    }
  });

  it("a failed migration is P1 (major feature broken)", async () => {
    const c = await admin();
    try {
      await c.query(PRISMA_MIGRATIONS_DDL);
      await c.query("alter table _prisma_migrations enable row level security");
      await insertMigrationRow(c, { name: "20260101000000_half", sql: "x", state: "failed" });
      const { envelope } = await report();
      expect(statusOf(envelope)["db-status"]).toBe("problem");
      expect(envelope.report.severity).toMatchObject({ severity: "P1", respondWithinMinutes: 60 });
    } finally {
      await c.query("drop table _prisma_migrations");
      await c.end();
    }
  });

  it("a stale backup takes the stack's backupSeverity (P1)", async () => {
    backup = {
      takenAt: new Date(NOW - 50 * 3_600_000).toISOString(),
      location: "s3://b/postgres/old.dump",
    };
    const { envelope } = await report();
    expect(statusOf(envelope).backups).toBe("problem");
    expect(envelope.report.severity.severity).toBe("P1");
    expect(envelope.report.severity.reasons[0]).toContain("past the 26 h limit");
  });

  it("a failed key rotation is P1", async () => {
    rotationEvents = [
      {
        at: new Date(NOW - 3_600_000).toISOString(),
        credential: "app-db-login",
        step: "redeploy",
        outcome: "failed",
        detail: "deployment CANCELED",
      },
    ];
    const { envelope } = await report();
    expect(statusOf(envelope).rotation).toBe("problem");
    expect(envelope.report.severity.severity).toBe("P1");
  });

  it("spend past its AWS budget takes the stack's budgetSeverity (P2)", async () => {
    // Below what was spent already today: past 100% of the actual limit, whatever the date.
    writeStack(0.5);
    const { envelope } = await report();
    expect(statusOf(envelope).cost).toBe("problem");
    expect(envelope.report.severity.severity).toBe("P2");
  });

  it("a failed newest production build is P3 (production still serves the previous one)", async () => {
    const failed = vercel.addDeployment("web", { target: "production", readyState: "ERROR" });
    try {
      const { envelope } = await report();
      expect(statusOf(envelope).deployments).toBe("problem");
      expect(envelope.report.severity.severity).toBe("P3");
      expect(envelope.findings.find((f) => f.id === "fix-failed-deployment")!.subject).toContain(
        failed.id,
      );
    } finally {
      // A newer good build takes over again, as after a fix.
      vercel.addDeployment("web", { target: "production", createdAt: Date.now() + 1000 });
    }
  });
});

describe("incident, steps that cannot run are never healthy", () => {
  it("without a database the three database steps could not check (exit 2), and it is not an all-clear", async () => {
    const result = await run([], env({ DATABASE_URL: undefined }));
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(
      /UNKNOWN {2}database status {8}database status: could not check — no database URL/,
    );
    expect(result.stdout).toContain("so this is not an all-clear");
    expect(result.stdout).toContain("Result: COULD NOT CHECK (exit 2)");
  });

  it("without the backups and rotation areas: could not check, naming the missing area", async () => {
    const { code, envelope } = await report([], env(), { ...deps, sources: {} });
    expect(code).toBe(2);
    expect(statusOf(envelope)).toMatchObject({
      backups: "could-not-check",
      rotation: "could-not-check",
    });
    expect(envelope.findings.find((f) => f.id === "incident-backups")!.message).toBe(
      "latest backup: could not check — the backups area is not available in this checkout",
    );
  });

  it("a problem still wins over a step that could not run: exit 1, severity with the unchecked steps named", async () => {
    appMode = "down";
    const { code, envelope } = await report([], env({ VERCEL_TOKEN: undefined }));
    expect(code).toBe(1);
    expect(envelope.report.severity.severity).toBe("P0");
    // Both need the Vercel token: the Vercel budget and the deployments.
    expect(envelope.report.severity.unchecked).toEqual(["spend", "recent deployments"]);
  });

  it("bad input is a clear error (exit 2): a missing stack, a malformed database URL", async () => {
    const nosuch = await runScript(incident, ["--stack", "nosuch"], { root, env: env(), deps });
    expect(nosuch.code).toBe(2);
    expect(nosuch.stderr).toContain("no stack 'nosuch'");
    const bad = await runScript(incident, ["--stack", "prod"], {
      root,
      env: env({ DATABASE_URL: "postgres//x" }),
      deps,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("the connection string from DATABASE_URL");
  });
});

describe("incident --write", () => {
  it("starts the incident document: severity, deadline, the findings as the first timeline entries, the review template", async () => {
    appMode = "down";
    const result = await run(["--write"]);
    expect(result.code).toBe(1);
    const dir = join(root, "incidents");
    const [file] = readdirSync(dir);
    expect(file).toMatch(/^\d{4}-\d\d-\d\d-\d{4}-prod\.md$/);
    expect(result.stdout).toContain(`(incident document written to incidents/${file}`);
    const doc = readFileSync(join(dir, file!), "utf8");
    expect(doc).toMatch(/^# Incident \d{4}-\d\d-\d\d prod \(P0, suggested\)/);
    expect(doc).toContain(
      "| severity | P0 (suggested by `npm run incident`; confirm or change it) |",
    );
    expect(doc).toMatch(
      /\| \d\d:\d\d:\d\d \| `npm run incident -- --stack prod --write` run: Suggested severity: P0/,
    );
    expect(doc).toMatch(/\| \d\d:\d\d:\d\d \| app health — CRITICAL: DOWN — no 2xx in 3 attempts/);
    for (const heading of [
      "## Summary",
      "## Timeline (UTC)",
      "## Root cause",
      "## Resolution",
      "## Lessons",
      "## Action items",
    ])
      expect(doc).toContain(heading);
    for (const secret of [TOKEN, SECRET_KEY, new URL(db.url).password])
      expect(doc).not.toContain(secret);
    // A second run never overwrites the first document.
    await run(["--write"]);
    expect(readdirSync(dir).sort()).toEqual([file, file!.replace(".md", "-2.md")].sort());
  });
});
