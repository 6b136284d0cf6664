/**
 * db:deploy on a real Postgres with a real migration command (a stand-in
 * for `prisma migrate deploy` that keeps Prisma's bookkeeping), a real
 * pre-change backup (pg_dump, plugged in through the backup source
 * interface the backups area implements), a lock held by another session,
 * and the RLS check afterwards.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Client } from "pg";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Finding } from "../../../infra/lib/findings";
import { createTestDatabase, findPostgresBinDir } from "../../../infra/local/postgres";
import type { DeploySources } from "../../../infra/migrations/sources";
import { dbDeploy } from "../../../scripts/db-deploy";
import { runScript } from "../checks/helpers";
import {
  insertMigrationRow,
  PRISMA_MIGRATIONS_DDL,
  writeMigrationsFolder,
} from "../../support/prisma-migrations";
import { services } from "../../support/services";

const run = promisify(execFile);
const STAND_IN = join(__dirname, "..", "..", "support", "prisma-like-migrate.mjs");
const command = `node ${STAND_IN} prisma/migrations`;

const SQL = {
  init: [
    "create table accounts (id bigint primary key, tenant_id uuid not null);",
    "alter table accounts enable row level security;",
    "alter table accounts force row level security;",
    "create policy accounts_tenant on accounts using (tenant_id = ((select auth.jwt()) ->> 'tenant_id')::uuid);",
    "revoke truncate, trigger, references on accounts from anon, authenticated;",
    "",
  ].join("\n"),
  ordersOpen: "create table orders (id bigint primary key, total numeric not null);\n",
  ordersClosed: [
    "create table orders (id bigint primary key, tenant_id uuid not null);",
    "alter table orders enable row level security;",
    "alter table orders force row level security;",
    "create policy orders_tenant on orders using (tenant_id = ((select auth.jwt()) ->> 'tenant_id')::uuid);",
    // Supabase's default grants include what RLS does not govern; a closed table revokes it.
    "revoke truncate, trigger, references on orders from anon, authenticated;",
    "",
  ].join("\n"),
  note: "alter table accounts add column note text;\n",
};

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;
let db: TestDb;
let app: string;
const open: Client[] = [];

async function connect(): Promise<Client> {
  const c = new Client({ connectionString: db.url });
  c.on("error", () => undefined);
  await c.connect();
  open.push(c);
  return c;
}

/** An app whose `init` migration is applied; `next` migrations sit in its folder. */
async function appWith(next: Record<string, string>): Promise<void> {
  app = mkdtempSync(join(tmpdir(), "runbooks-db-deploy-app-"));
  writeMigrationsFolder(join(app, "prisma", "migrations"), {
    "20260101000000_init": SQL.init,
    ...next,
  });
  const c = await connect();
  await c.query(SQL.init);
  await c.query(PRISMA_MIGRATIONS_DDL);
  // As a Supabase project should: Prisma's own table is not readable through the API.
  await c.query("alter table _prisma_migrations enable row level security");
  await c.query("revoke all on _prisma_migrations from anon, authenticated");
  await insertMigrationRow(c, { name: "20260101000000_init", sql: SQL.init, state: "applied" });
}

/** A real pre-change backup: pg_dump of the whole database to a file, restorable with pg_restore. */
function pgDumpSource(calls: { n: number }, fail = false): DeploySources {
  return {
    backup: {
      async take({ connectionString }) {
        calls.n++;
        if (fail) throw new Error("the backup bucket refused the upload (AccessDenied)");
        const file = join(app, `pre-change-${calls.n}.dump`);
        const { binDir } = findPostgresBinDir();
        await run(join(binDir, "pg_dump"), [
          "--format=custom",
          "--file",
          file,
          "--dbname",
          connectionString,
        ]);
        return {
          location: file,
          restoreCommand: `pg_restore --clean --if-exists --dbname "$DATABASE_URL" ${file}`,
          sizeBytes: statSync(file).size,
        };
      },
    },
  };
}

const deploy = (argv: string[], sources: DeploySources = {}) =>
  runScript(dbDeploy, ["--app-dir", app, "--command", command, ...argv], {
    env: { DATABASE_URL: db.url, PATH: process.env.PATH },
    deps: { sources, cwd: app },
  });

const parse = (stdout: string) =>
  JSON.parse(stdout) as {
    exitCode: number;
    findings: Finding[];
    report: { outcome: string };
    error?: string;
  };

async function tableExists(name: string): Promise<boolean> {
  const c = await connect();
  return (await c.query("select to_regclass($1) as t", [name])).rows[0].t !== null;
}

beforeEach(async () => {
  db = await createTestDatabase(services().postgres.adminUrl, "deploy");
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.end().catch(() => undefined)));
  await db.drop();
});

afterAll(() => undefined);

describe("db:deploy without a pre-change backup source", () => {
  it("stops before migrating (exit 2) and says how to go on", async () => {
    await appWith({ "20260102000000_orders": SQL.ordersClosed });
    const result = await deploy(["--json"]);
    expect(result.code).toBe(2);
    const envelope = parse(result.stdout);
    expect(envelope.report.outcome).toBe("stopped-no-backup");
    const [f] = envelope.findings;
    expect(f!.message).toBe(
      "could not take a pre-change backup: the backups area is not available in this checkout; nothing was migrated",
    );
    expect(f!.fix).toContain("then run again with --skip-backup");
    expect(await tableExists("public.orders")).toBe(false);
  });

  it("with --skip-backup migrates, and a new table without RLS fails the deploy (exit 1)", async () => {
    await appWith({ "20260102000000_orders": SQL.ordersOpen });
    const result = await deploy(["--skip-backup"]);
    expect(result.code).toBe(1);
    expect(await tableExists("public.orders")).toBe(true);
    expect(result.stdout).toContain("migrated in");
    expect(result.stdout).toContain("1 migration(s) applied: 20260102000000_orders");
    expect(result.stdout).toMatch(
      /HIGH {6}the migration created public\.orders without row-level security: the API roles can read every row/,
    );
    expect(result.stdout).toContain("migrating without a pre-change backup (--skip-backup;");
    expect(result.stdout).toMatch(/lock_timeout 5000 ms/);
  });
});

describe("db:deploy with a pre-change backup (pg_dump through the backup source)", () => {
  it("backs up, migrates, and passes (exit 0) when the new table has RLS and a policy", async () => {
    await appWith({ "20260102000000_orders": SQL.ordersClosed });
    const calls = { n: 0 };
    const result = await deploy(["--json"], pgDumpSource(calls));
    const envelope = parse(result.stdout);
    expect(
      envelope.findings.filter((f) => f.severity === "high" || f.severity === "critical"),
    ).toEqual([]);
    expect(result.code).toBe(0);
    expect(envelope.report.outcome).toBe("migrated");
    expect(calls.n).toBe(1);
    const dump = join(app, "pre-change-1.dump");
    expect(statSync(dump).size).toBeGreaterThan(0);
    expect(envelope.findings.find((f) => f.id === "take-pre-change-backup")!.message).toBe(
      `pre-change backup taken: ${dump}`,
    );
    expect(envelope.findings.find((f) => f.id === "rls-coverage")!.message).toContain(
      "new tables, all with RLS: public.orders",
    );
  });

  it("a migration that waits for a lock fails after lock_timeout, stops with the restore command, and never prints the password", async () => {
    await appWith({ "20260102000000_note": SQL.note });
    // A long read in an open transaction (or a running pg_dump) holds ACCESS SHARE: the backup
    // still runs beside it, but ALTER TABLE needs ACCESS EXCLUSIVE and would queue behind it.
    const holder = await connect();
    await holder.query("begin");
    await holder.query("select count(*) from accounts");
    const started = Date.now();
    const result = await deploy(["--lock-timeout", "300", "--json"], pgDumpSource({ n: 0 }));
    expect(Date.now() - started).toBeLessThan(20_000);
    await holder.query("rollback");
    expect(result.code).toBe(1);
    const envelope = parse(result.stdout);
    expect(envelope.report.outcome).toBe("migration-failed");
    const failed = envelope.findings.find((f) => f.id === "deploy-migrations")!;
    expect(failed.severity).toBe("critical");
    expect(failed.message).toBe(
      "the migration command failed (exit 1): the database may be half-migrated",
    );
    expect(failed.details!.join("\n")).toContain("canceling statement due to lock timeout");
    expect(failed.details!.join("\n")).toContain("PGOPTIONS=-c lock_timeout=300");
    expect(failed.fix).toContain(
      `pg_restore --clean --if-exists --dbname "$DATABASE_URL" ${join(app, "pre-change-1.dump")}`,
    );
    const resolve = envelope.findings.find((f) => f.id === "resolve-failed-migration")!;
    expect(resolve.fix).toContain("npx prisma migrate resolve --rolled-back 20260102000000_note");
    const password = new URL(db.url).password;
    expect(password.length).toBeGreaterThan(3);
    expect(result.stdout + result.stderr).not.toContain(password);
    // The stand-in printed the whole connection string; all of it is masked.
    expect(result.stdout).toContain("(connected to ***)");
  });

  it("a failed pre-change backup stops the deploy (exit 2): nothing is migrated", async () => {
    await appWith({ "20260102000000_orders": SQL.ordersClosed });
    const result = await deploy(["--json"], pgDumpSource({ n: 0 }, true));
    expect(result.code).toBe(2);
    expect(parse(result.stdout).findings[0]!.message).toBe(
      "the pre-change backup failed: the backup bucket refused the upload (AccessDenied); nothing was migrated",
    );
    expect(await tableExists("public.orders")).toBe(false);
  });
});

describe("db:deploy stops early", () => {
  it("on a failed migration already in _prisma_migrations (exit 1), without running the command", async () => {
    await appWith({ "20260102000000_orders": SQL.ordersClosed });
    const c = await connect();
    await insertMigrationRow(c, { name: "20260101120000_half", sql: "x", state: "failed" });
    const marker = join(app, "command-ran");
    const result = await runScript(
      dbDeploy,
      ["--app-dir", app, "--command", `touch ${marker} && ${command}`, "--skip-backup"],
      { env: { DATABASE_URL: db.url, PATH: process.env.PATH }, deps: { sources: {}, cwd: app } },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "db:deploy stopped before changing anything: a failed migration must be resolved first",
    );
    expect(result.stdout).toContain("npx prisma migrate resolve --applied 20260101120000_half");
    expect(existsSync(marker)).toBe(false);
  });

  it("when nothing is pending (exit 0): no backup, no command", async () => {
    await appWith({});
    const calls = { n: 0 };
    const result = await deploy([], pgDumpSource(calls));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "nothing to deploy: all 1 migration(s) in prisma/migrations are applied",
    );
    expect(calls.n).toBe(0);
  });
});

describe("db:deploy bad input (exit 2)", () => {
  it("a migration command that does not exist", async () => {
    await appWith({ "20260102000000_orders": SQL.ordersClosed });
    const result = await runScript(
      dbDeploy,
      ["--app-dir", app, "--command", "no-such-migrate-tool deploy", "--skip-backup"],
      {
        env: { DATABASE_URL: db.url, PATH: process.env.PATH },
        deps: { sources: {}, cwd: app },
      },
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(
      "the migration command was not found: no-such-migrate-tool deploy",
    );
  });

  it("a missing app directory, a folder that is not a migrations folder, no database", async () => {
    await appWith({});
    const noDir = await runScript(dbDeploy, ["--app-dir", join(app, "nope")], {
      env: { DATABASE_URL: db.url },
      deps: { cwd: app },
    });
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toContain("no such directory");
    const notFolder = await deploy(["--migrations", join(app, "prisma")]);
    expect(notFolder.code).toBe(2);
    expect(notFolder.stderr).toContain("not a Prisma migrations folder");
    const noDb = await runScript(dbDeploy, ["--app-dir", app], { env: {}, deps: { cwd: app } });
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toContain("no database to check: pass --database-url");
  });
});
