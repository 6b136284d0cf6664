/**
 * `pulumi up` converges to the declaration without a refresh, through the real
 * engine: the provider's diff reads the live table.
 * - a policy added by hand is dropped, an expression edited by hand is
 *   restored, a privilege granted by hand is revoked — and preview and up say
 *   why, per table, without `--diff`;
 * - an `up` killed after a table committed but before the engine recorded it
 *   (the engine is stopped, the commit lands, everything is killed), then the
 *   declaration reverted, `pulumi cancel`, `up`: the database follows the
 *   reverted declaration, and a second `up` changes nothing;
 * - a no-op `up` reads the catalog once and issues no DDL;
 * - preview rejects a declared table, column or role the database lacks;
 * - `rls:import` output pasted into the stack file: the first `up` creates
 *   the resources and issues no DDL;
 * - `refresh` prints the drift it records, per table.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Client } from "pg";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importDeclarations } from "../../infra/rls/import";
import { committedState, type RlsTableOutputs } from "../../infra/rls/stored";
import { closePools } from "../../infra/postgres/client";
import { CRM_MIGRATION } from "../integration/rls/fixtures/crm-migration";
import { createE2eStack, type E2eStack } from "../support/engine";
import { readStatementStats, resetStatementStats } from "../support/statement-stats";

const STEP = { timeout: 300_000 };

let e: E2eStack;

/** Tables declared in the stack file beside audit_log (rls:import output, a broken one). */
let extraTables: unknown[] = [];

function declareAuditLog(using: string, lock = { lockTimeoutSeconds: 2, lockRetries: 2 }): void {
  const doc = parseYaml(readFileSync(e.configFile, "utf8")) as { config: Record<string, unknown> };
  doc.config["runbooks:rls"] = {
    tables: [
      {
        table: "audit_log",
        policies: [{ name: "auditor_read", command: "SELECT", roles: ["authenticated"], using }],
      },
      ...extraTables,
    ],
  };
  doc.config["runbooks:database"] = { ...(doc.config["runbooks:database"] as object), ...lock };
  writeFileSync(e.configFile, stringifyYaml(doc));
}

async function qual(table: string, policy: string): Promise<string | undefined> {
  const rows = await e.db.sql<{ qual: string }>(
    `select qual from pg_policies where schemaname = 'public' and tablename = $1 and policyname = $2`,
    [table, policy],
  );
  return rows[0]?.qual;
}

async function policyNames(table: string): Promise<string[]> {
  const rows = await e.db.sql<{ policyname: string }>(
    `select policyname from pg_policies where schemaname = 'public' and tablename = $1 order by 1`,
    [table],
  );
  return rows.map((r) => r.policyname);
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function changes(summary: Record<string, number> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(summary ?? {}).filter(([op]) => op !== "same"));
}

beforeAll(async () => {
  e = await createE2eStack("converge", { backups: false });
  await e.db.sql(`
    create table public.audit_log (id bigint generated always as identity primary key, actor uuid, note text);
    alter table public.audit_log owner to ${e.db.ownerRole};`);
  declareAuditLog("false");
  const up = await e.up();
  expect(up.summary.result).toBe("succeeded");
}, 300_000);

afterAll(async () => {
  await closePools();
  await e?.dispose();
});

describe("up converges to the declaration without a refresh", () => {
  it("a no-op up reads the catalog once and issues no DDL", STEP, async () => {
    await resetStatementStats(e.db.sql);
    const up = await e.up();
    expect(changes(up.summary.resourceChanges)).toEqual({});
    const stats = await readStatementStats(e.db.sql, { role: e.db.ownerRole });
    expect({ catalog: stats.catalogSnapshotQueries, ddl: stats.ddlStatements }).toEqual({
      catalog: 1,
      ddl: 0,
    });
  });

  it("a policy added by hand: preview says why (no --diff), up drops it", STEP, async () => {
    await e.db.sql(`create policy sneaky on public.tenants for select to anon using (true)`);
    const preview = await e.preview();
    expect(preview.changeSummary.update).toBe(1);
    const reason =
      "rls public.tenants: live differs from the last apply: policy sneaky was added out of band (PERMISSIVE SELECT to anon). up will drop policy sneaky (not declared)";
    expect(preview.stdout).toContain(reason);
    const up = await e.up();
    expect(changes(up.summary.resourceChanges)).toEqual({ update: 1 });
    expect(up.stdout).toContain(reason);
    expect(await policyNames("tenants")).toEqual(["member_read"]);
  });

  it(
    "an expression edited by hand and a privilege granted by hand are put back by up",
    STEP,
    async () => {
      const declared = await qual("tenants", "member_read");
      await e.db.sql(`
        alter policy member_read on public.tenants using (true);
        grant truncate on public.agents to anon;`);
      const up = await e.up();
      expect(changes(up.summary.resourceChanges)).toEqual({ update: 2 });
      expect(up.stdout).toContain("policy member_read: USING changed");
      expect(up.stdout).toContain(
        "rls public.agents: live differs from the last apply: TRUNCATE was granted to anon out of band. up will revoke TRUNCATE from anon",
      );
      expect(await qual("tenants", "member_read")).toBe(declared);
      const [truncate] = await e.db.sql<{ ok: boolean }>(
        "select has_table_privilege('anon', 'public.agents', 'TRUNCATE') as ok",
      );
      expect(truncate!.ok).toBe(false);
    },
  );

  it(
    "an up killed after a table committed, the declaration reverted, pulumi cancel, up: converges",
    STEP,
    async () => {
      declareAuditLog("true", { lockTimeoutSeconds: 60, lockRetries: 0 });
      // Hold the table as a running backup would (ACCESS SHARE): catalog reads pass,
      // the provider's ACCESS EXCLUSIVE waits just before it changes the policy.
      const url = new URL(e.db.url);
      const holder = new Client({
        host: url.hostname,
        port: Number(url.port),
        database: url.pathname.slice(1),
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
      });
      await holder.connect();
      await holder.query("begin; lock table public.audit_log in access share mode");
      const run = e.startCli(["up", "--yes", "--skip-preview", "-s", e.stackName]);
      try {
        await waitFor("the provider to wait for the lock", async () => {
          const rows = await e.db.sql(
            `select 1 from pg_stat_activity where application_name = 'runbooks-rls' and wait_event_type = 'Lock' and datname = current_database()`,
          );
          return rows.length > 0;
        });
        // Stop the engine (only the engine): the provider commits, nobody records it.
        process.kill(run.child.pid!, "SIGSTOP");
        await holder.query("commit");
        await waitFor(
          "the provider's commit",
          async () => (await qual("audit_log", "auditor_read")) === "true",
        );
      } finally {
        process.kill(-run.child.pid!, "SIGKILL");
        await holder.end().catch(() => undefined);
      }
      await run.done;
      e.repairAfterKill();
      // The premise: state still holds what the apply before the kill committed.
      const outputs = (await e.rlsResources()).get("public.audit_log")?.outputs;
      const recorded = committedState(outputs as unknown as RlsTableOutputs);
      expect(recorded.policies[0]!.using).toBe("false");

      declareAuditLog("false");
      const cancel = await e.cli(["cancel", "--yes", "-s", e.stackName]);
      expect(cancel.code, cancel.stderr).toBe(0);
      const up = await e.up();
      expect(changes(up.summary.resourceChanges)).toEqual({ update: 1 });
      expect(up.stdout).toContain(
        "rls public.audit_log: live differs from the last apply: policy auditor_read: USING changed: expected false, live true",
      );
      expect(await qual("audit_log", "auditor_read")).toBe("false");
      const again = await e.up();
      expect(changes(again.summary.resourceChanges)).toEqual({});
    },
  );

  it(
    "preview rejects a declared table, a column and a role the database does not have",
    STEP,
    async () => {
      await e.db.sql(`create table public.audit_log_copy (id int primary key, actor uuid);
        alter table public.audit_log_copy owner to ${e.db.ownerRole};`);
      // The engine stops at the first resource whose check fails: one resource per preview.
      extraTables = [
        {
          table: "audit_log_copy",
          policies: [
            {
              name: "by_role",
              command: "SELECT",
              roles: ["nobody_here"],
              using: "actor is not null",
            },
            {
              name: "by_column",
              command: "SELECT",
              roles: ["authenticated"],
              using: "no_such_column = 1",
            },
          ],
        },
      ];
      declareAuditLog("false");
      await expect(e.preview()).rejects.toThrow(/nobody_here/);
      expect(e.captured()).toContain("role 'nobody_here' does not exist in the database");
      expect(e.captured()).toContain(
        "policy 'by_column' USING names column no_such_column, which public.audit_log_copy does not have (it has: id, actor)",
      );
      extraTables = [
        {
          table: "ghost",
          policies: [{ name: "p", command: "SELECT", roles: ["authenticated"], using: "true" }],
        },
      ];
      declareAuditLog("false");
      await expect(e.preview()).rejects.toThrow(
        /table public\.ghost does not exist\. Tables are created by the app's migrations, not by this provider/,
      );
      extraTables = [];
      declareAuditLog("false");
      await e.db.sql("drop table public.audit_log_copy");
    },
  );

  it(
    "rls:import output pasted into the stack file: the first up adopts the tables with no DDL",
    STEP,
    async () => {
      await e.db.sql(CRM_MIGRATION);
      await e.db.sql(`alter table crm.accounts owner to ${e.db.ownerRole};
        alter table crm.memberships owner to ${e.db.ownerRole};`);
      const imported = await importDeclarations({
        connectionString: e.db.url,
        schemas: ["crm"],
        format: "yaml",
      });
      const doc = parseYaml(imported.text) as { "runbooks:rls": { tables: unknown[] } };
      extraTables = doc["runbooks:rls"].tables;
      declareAuditLog("false");
      await resetStatementStats(e.db.sql);
      const up = await e.up();
      expect(changes(up.summary.resourceChanges)).toEqual({ create: 2 });
      const stats = await readStatementStats(e.db.sql, { role: e.db.ownerRole });
      expect(stats.ddl).toEqual([]);
      const again = await e.up();
      expect(changes(again.summary.resourceChanges)).toEqual({});
    },
  );

  it("refresh prints the drift it records, one line per table", STEP, async () => {
    await e.db.sql("alter table public.plans disable row level security");
    const refreshed = await e.refresh();
    expect(refreshed.stdout).toContain(
      "rls public.plans: drift: row level security was DISABLED out of band",
    );
    const up = await e.up();
    expect(changes(up.summary.resourceChanges)).toEqual({ update: 1 });
  });
});
