/**
 * The RLS provider through the real engine (the CLI this repository builds,
 * driven by the Automation API), on the `local` stack plus a table declared in
 * stack config (`runbooks:rls.tables`):
 * - a refresh and a preview --refresh read the catalog in ONE query and issue
 *   no DDL (pg_stat_statements, counted for the stack's own role);
 * - a policy edited in stack config is altered in place (same policy oid);
 * - a lock held by another session: `up` waits, retries and succeeds once it
 *   is released, or fails cleanly, naming the holder, with the table and the
 *   state unchanged;
 * - a managed table dropped by a migration leaves state on refresh, and the
 *   next `up` says it must be created by the app's migrations.
 * The lifecycle (create, no-op, drift, repair, destroy) is test/e2e/lifecycle.test.ts.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createE2eStack, type E2eStack } from "../../support/engine";
import { readStatementStats, resetStatementStats } from "../../support/statement-stats";
import { holdLock } from "../../support/lock-holder";

const STEP = { timeout: 300_000 };

let e: E2eStack;

interface AuditPolicy {
  roles: string[];
  using: string;
}

/** Declare public.audit_log in the stack's config file, as a team that prefers data would. */
function declareAuditLog(
  policy: AuditPolicy,
  lock = { lockTimeoutSeconds: 0.5, lockRetries: 2 },
): void {
  const doc = parseYaml(readFileSync(e.configFile, "utf8")) as { config: Record<string, unknown> };
  doc.config["runbooks:rls"] = {
    tables: [
      {
        table: "audit_log",
        tenantColumn: "tenant_id",
        policies: [
          { name: "auditor_read", command: "SELECT", roles: policy.roles, using: policy.using },
        ],
      },
    ],
  };
  doc.config["runbooks:database"] = { ...(doc.config["runbooks:database"] as object), ...lock };
  writeFileSync(e.configFile, stringifyYaml(doc));
}

async function auditorRead(): Promise<{ oid: number; roles: string[]; qual: string } | undefined> {
  const rows = await e.db.sql<{ oid: number; roles: string[]; qual: string }>(
    `select pol.oid::int as oid, p.roles::text[] as roles, p.qual
     from pg_policies p join pg_policy pol on pol.polname = p.policyname and pol.polrelid = 'public.audit_log'::regclass
     where p.schemaname = 'public' and p.tablename = 'audit_log' and p.policyname = 'auditor_read'`,
  );
  return rows[0];
}

/** Statements the stack's own role ran in its database since the last reset, by kind. */
async function statementsByStackRole(): Promise<{ catalog: number; ddl: number; all: number }> {
  const stats = await readStatementStats(e.db.sql, { role: e.db.ownerRole });
  return {
    catalog: stats.catalogSnapshotQueries,
    ddl: stats.ddlStatements,
    all: stats.totalStatements,
  };
}

/** A session holding a lock on audit_log until released. */
function holdAuditLog(mode: "ACCESS SHARE" | "ACCESS EXCLUSIVE") {
  return holdLock(
    e.db.url,
    `lock table public.audit_log in ${mode} mode`,
    "test-backup-like-holder",
  );
}

/** Resolves once the provider's session is queued behind a lock on audit_log. */
async function providerWaitingForLock(timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const rows = await e.db.sql(
      `select 1 from pg_stat_activity where application_name = 'runbooks-rls' and wait_event_type = 'Lock' and datname = current_database()`,
    );
    if (rows.length > 0) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

beforeAll(async () => {
  e = await createE2eStack("rls-engine", { backups: false });
  await e.db.sql(`
    create table public.audit_log (id bigint generated always as identity primary key, tenant_id uuid not null, actor uuid, note text);
    alter table public.audit_log owner to ${e.db.ownerRole};`);
  declareAuditLog({ roles: ["service_role"], using: "true" });
}, 300_000);

afterAll(async () => {
  await e?.dispose();
});

describe("RLS through the engine", () => {
  it(
    "up applies tables declared in stack config next to those declared in TypeScript",
    STEP,
    async () => {
      const result = await e.up();
      expect(result.summary.result).toBe("succeeded");
      const state = await e.rlsResources();
      expect([...state.keys()].sort()).toEqual([
        "public.agents",
        "public.audit_log",
        "public.plans",
        "public.projects",
        "public.tenant_members",
        "public.tenants",
        "public.user_preferences",
      ]);
      expect(await auditorRead()).toMatchObject({ roles: ["service_role"], qual: "true" });
    },
  );

  it(
    "refresh and preview --refresh read the catalog in one query and issue no DDL",
    STEP,
    async () => {
      await resetStatementStats(e.db.sql);
      const refreshed = await e.refresh();
      expect(refreshed.summary.result).toBe("succeeded");
      expect(await statementsByStackRole()).toEqual({ catalog: 1, ddl: 0, all: 1 });

      await resetStatementStats(e.db.sql);
      const preview = await e.preview({ refresh: true });
      expect(preview.changeSummary.update ?? 0).toBe(0);
      expect(preview.changeSummary.create ?? 0).toBe(0);
      expect(await statementsByStackRole()).toEqual({ catalog: 1, ddl: 0, all: 1 });
    },
  );

  it(
    "a policy edited in stack config is altered in place (same oid), and only that table updates",
    STEP,
    async () => {
      const before = await auditorRead();
      declareAuditLog({ roles: ["authenticated", "service_role"], using: "actor = auth.uid()" });
      const result = await e.up();
      expect(result.summary.resourceChanges?.update).toBe(1);
      const after = await auditorRead();
      expect(after).toEqual({
        oid: before!.oid,
        roles: ["authenticated", "service_role"],
        qual: "(actor = ( SELECT auth.uid() AS uid))",
      });
    },
  );

  it(
    "up waits behind a backup-like lock, retries, and succeeds once it is released",
    STEP,
    async () => {
      declareAuditLog(
        {
          roles: ["authenticated", "service_role"],
          using: "actor = auth.uid() or tenant_id is null",
        },
        { lockTimeoutSeconds: 0.5, lockRetries: 20 },
      );
      const holder = await holdAuditLog("ACCESS SHARE");
      const up = e.up();
      const sawWait = await providerWaitingForLock(120_000);
      await new Promise((r) => setTimeout(r, 1_200));
      await holder.release();
      const result = await up;
      expect(sawWait).toBe(true);
      expect(result.summary.result).toBe("succeeded");
      expect((await auditorRead())?.qual).toBe(
        "((actor = ( SELECT auth.uid() AS uid)) OR (tenant_id IS NULL))",
      );
    },
  );

  it(
    "a lock that is never released fails the up cleanly: holder named, table and state unchanged",
    STEP,
    async () => {
      const policyBefore = await auditorRead();
      const stateBefore = (await e.rlsResources()).get("public.audit_log")?.outputs?.applied;
      expect(stateBefore).toMatchObject({ enabled: true });
      declareAuditLog(
        { roles: ["service_role"], using: "false" },
        { lockTimeoutSeconds: 0.3, lockRetries: 1 },
      );
      const holder = await holdAuditLog("ACCESS EXCLUSIVE");
      let failure: unknown;
      try {
        await e.up();
      } catch (error) {
        failure = error;
      } finally {
        await holder.release();
      }
      expect(failure).toBeDefined();
      const output = e.captured();
      // The catalog read comes first (check, diff) and waits on the same lock: bounded the same way.
      expect(output).toContain(
        "read the RLS catalog: a table of public stayed locked for 0.3 s in 2 attempt(s); nothing was changed",
      );
      expect(output).toContain(`pid ${holder.pid} (AccessExclusiveLock on public.audit_log`);
      expect(await auditorRead()).toEqual(policyBefore);
      expect((await e.rlsResources()).get("public.audit_log")?.outputs?.applied).toEqual(
        stateBefore,
      );

      const retried = await e.up();
      expect(retried.summary.resourceChanges?.update).toBe(1);
      expect((await auditorRead())?.qual).toBe("false");
    },
  );

  it(
    "a managed table dropped by a migration leaves state on refresh, and the next up says why it cannot apply",
    STEP,
    async () => {
      await e.db.sql("drop table public.audit_log");
      const refreshed = await e.refresh();
      expect(refreshed.summary.resourceChanges?.delete).toBe(1);
      expect((await e.rlsResources()).has("public.audit_log")).toBe(false);
      await expect(e.up()).rejects.toThrow();
      expect(e.captured()).toContain(
        "table public.audit_log does not exist. Tables are created by the app's migrations, not by this provider",
      );
    },
  );
});
