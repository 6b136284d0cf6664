/**
 * The RLS provider's CRUD, called directly against real Postgres: create,
 * no-op, alter in place, replace, rename, delete, and drift after
 * out-of-band changes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyTable } from "../../../infra/rls/apply";
import { textFingerprint } from "../../../infra/rls/diff";
import { committedState, previousApply } from "../../../infra/rls/stored";
import { closePools } from "../../../infra/postgres/client";
import { declareTable, policy, type TableSpec } from "../../../infra/rls/model";
import { checkRlsTableInputs } from "../../../infra/rls/inputs";
import type { RlsTableInputs, RlsTableOutputs } from "../../../infra/rls/provider";
import {
  appDatabase,
  byName,
  checked,
  createTable,
  freshProvider,
  inputsFor,
  livePolicies,
  rlsFlags,
  type TestDatabase,
} from "./helpers";
import { readStatementStats, resetStatementStats } from "../../support/statement-stats";

let db: TestDatabase;

beforeAll(async () => {
  db = await appDatabase("rls_provider");
});

afterAll(async () => {
  await closePools();
  await db?.drop();
});

/** check without the catalog: inputs as the engine would pass them if the table changed after preview. */
async function canonical(news: RlsTableInputs): Promise<RlsTableInputs> {
  const { inputs, failures } = await checkRlsTableInputs(
    news as unknown as Record<string, unknown>,
  );
  expect(failures).toEqual([]);
  return inputs;
}

const agents: TableSpec = declareTable({ table: "agents", tenant: { column: "tenant_id" } });

describe("create", () => {
  it("enables and forces RLS and creates every policy, with auth calls wrapped and expressions normalized", async () => {
    const provider = freshProvider();
    const { id, outs } = await createTable(provider, inputsFor(agents, db.url));
    expect(id).toBe("public.agents");
    expect(await rlsFlags(db, "agents")).toEqual({ enabled: true, forced: true });
    const live = await livePolicies(db, "agents");
    expect(live.map((p) => p.policyname)).toEqual([
      "tenant_isolation_delete",
      "tenant_isolation_insert",
      "tenant_isolation_select",
      "tenant_isolation_update",
    ]);
    const select = live.find((p) => p.policyname === "tenant_isolation_select")!;
    expect(select.roles).toEqual(["authenticated"]);
    expect(select.cmd).toBe("SELECT");
    // Postgres' own rendering: the claim is read once per statement through an InitPlan.
    expect(select.qual).toBe(
      "(tenant_id = ((( SELECT auth.jwt() AS jwt) ->> 'tenant_id'::text))::uuid)",
    );
    // Live is recorded only when it differs from what the apply left.
    expect(outs.live).toBeUndefined();
    expect(outs.drift).toEqual([]);
    expect(
      committedState(outs).policies.find((p) => p.name === "tenant_isolation_select")!.using,
    ).toBe(select.qual);
  });

  it("refuses a table that does not exist, naming the migration as the fix: at check (preview), and at create", async () => {
    const provider = freshProvider();
    const missing = declareTable({ table: "no_such_table", tenant: { column: "tenant_id" } });
    const news = inputsFor(missing, db.url);
    const { failures } = await provider.check!({} as RlsTableInputs, news);
    expect(failures).toEqual([
      {
        property: "table",
        reason: expect.stringMatching(/no_such_table does not exist.*migrations/),
      },
    ]);
    // A table dropped between preview and up: create says the same.
    const { inputs } = await checkRlsTableInputs(news as unknown as Record<string, unknown>);
    await expect(provider.create(inputs)).rejects.toThrow(
      /no_such_table does not exist.*migrations/,
    );
  });

  it("adopts policies that already exist with the same meaning without touching them", async () => {
    await db.sql(`alter table public.projects enable row level security`);
    // Hand-written by a migration, formatted differently: only Postgres' normalization shows it is the same.
    await db.sql(`CREATE POLICY tenant_isolation_select ON public.projects AS PERMISSIVE FOR SELECT TO authenticated
                  USING ((TENANT_ID = CAST(((SELECT auth.jwt()) ->> 'tenant_id') AS uuid)))`);
    const before = await livePolicies(db, "projects");
    const spec = declareTable({ table: "projects", tenant: { column: "tenant_id" } });
    const result = await applyTable(db.url, spec, undefined, {
      lockTimeoutSeconds: 2,
      lockRetries: 0,
    });
    const after = await livePolicies(db, "projects");
    expect(after.find((p) => p.policyname === "tenant_isolation_select")!.oid).toBe(before[0]!.oid);
    expect(result.statements.some((s) => s.includes('"tenant_isolation_select"'))).toBe(false);
    expect(result.statements.filter((s) => s.startsWith("CREATE POLICY"))).toHaveLength(3);
  });
});

describe("names that need quoting", () => {
  it("applies, reads and drops policies on a table whose name has a quote, a backslash and a capital", async () => {
    await db.sql(`create table public."We'ird\\Name" (id int primary key, tenant_id uuid)`);
    const spec = declareTable({
      table: "We'ird\\Name",
      policies: [
        {
          name: 'Odd "name"',
          command: "SELECT",
          roles: ["authenticated"],
          using: "tenant_id is not null",
        },
      ],
    });
    const provider = freshProvider();
    const { outs } = await createTable(provider, inputsFor(spec, db.url));
    expect(committedState(outs).policies.map((p) => p.name)).toEqual(['Odd "name"']);
    const read = await freshProvider().read!(`public.We'ird\\Name`, outs);
    expect((read.props as RlsTableOutputs).drift).toEqual([]);
    expect((read.props as RlsTableOutputs).live).toBeUndefined();
    await provider.delete!(`public.We'ird\\Name`, outs);
    expect(await livePolicies(db, "We'ird\\Name")).toEqual([]);
  });
});

describe("no-op", () => {
  it("diff reports no change for the same declaration, and an apply of it issues no DDL and takes no lock", async () => {
    const spec = declareTable({ table: "tenant_members", tenant: { column: "tenant_id" } });
    const provider = freshProvider();
    const { outs } = await createTable(provider, inputsFor(spec, db.url));
    const again = await checked(provider, inputsFor(spec, db.url), outs);
    expect(await provider.diff!("public.tenant_members", outs, again)).toMatchObject({
      changes: false,
      replaces: [],
    });

    await resetStatementStats(db.sql);
    const result = await applyTable(db.url, again, previousApply(outs), {
      lockTimeoutSeconds: 2,
      lockRetries: 0,
    });
    expect(result.statements).toEqual([]);
    expect((await readStatementStats(db.sql)).ddl).toEqual([]);
  });

  it("a provider-code version change alone is no change; an update with new code re-applies idempotently", async () => {
    const spec = declareTable({ table: "user_preferences", owner: { column: "user_id" } });
    const provider = freshProvider();
    const { outs } = await createTable(provider, inputsFor(spec, db.url));
    const news = await checked(
      provider,
      inputsFor(spec, db.url, { providerVersion: "test-2" }),
      outs,
    );
    expect((await provider.diff!("public.user_preferences", outs, news)).changes).toBe(false);
    await resetStatementStats(db.sql);
    const updated = (await provider.update!("public.user_preferences", outs, news))
      .outs as RlsTableOutputs;
    expect(updated.providerVersion).toBe("test-2");
    expect((await readStatementStats(db.sql)).ddl).toEqual([]);
  });
});

describe("update", () => {
  async function freshTable(name: string, spec: TableSpec) {
    await db.sql(
      `create table public.${name} (id bigint generated always as identity primary key, tenant_id uuid not null, owner_id uuid)`,
    );
    const provider = freshProvider();
    const created = await createTable(provider, inputsFor({ ...spec, table: name }, db.url));
    return { provider, outs: created.outs };
  }

  it("changes roles, USING and WITH CHECK in place with ALTER POLICY (same policy oid)", async () => {
    const base = declareTable({
      table: "alter_me",
      policies: [
        {
          name: "rw",
          command: "UPDATE",
          roles: ["authenticated"],
          using: "tenant_id is not null",
          withCheck: "tenant_id is not null",
        },
      ],
    });
    const { provider, outs } = await freshTable("alter_me", base);
    const [before] = await livePolicies(db, "alter_me");
    const changed = {
      ...base,
      policies: [
        policy({
          name: "rw",
          command: "UPDATE",
          roles: ["anon", "authenticated"],
          using: "owner_id = auth.uid()",
          withCheck: "owner_id = auth.uid()",
        }),
      ],
    };
    const news = await checked(provider, inputsFor(changed, db.url), outs);
    expect(await provider.diff!("public.alter_me", outs, news)).toMatchObject({
      changes: true,
      replaces: [],
    });
    const updated = (await provider.update!("public.alter_me", outs, news)).outs as RlsTableOutputs;
    const [after] = await livePolicies(db, "alter_me");
    expect(after!.oid).toBe(before!.oid);
    expect(after!.roles).toEqual(["anon", "authenticated"]);
    expect(after!.qual).toBe("(owner_id = ( SELECT auth.uid() AS uid))");
    expect(after!.with_check).toBe("(owner_id = ( SELECT auth.uid() AS uid))");
    expect(byName(news.policies, "rw").using).toBe("owner_id = (select auth.uid())");
    // State records which declared text the apply normalized, not the declaration again.
    expect(updated.policies).toBeUndefined();
    expect(updated.applied?.policies.map((p) => [p[0], p[6]])).toEqual([
      ["rw", textFingerprint(byName(news.policies, "rw"))],
    ]);
  });

  it("replaces a policy whose command or mode changes with drop and create in one transaction", async () => {
    const base = declareTable({
      table: "replace_me",
      policies: [{ name: "p", command: "ALL", roles: ["authenticated"], using: "true" }],
    });
    const { provider, outs } = await freshTable("replace_me", base);
    const [before] = await livePolicies(db, "replace_me");
    const restrictive = {
      ...base,
      policies: [
        policy({
          name: "p",
          command: "SELECT",
          mode: "RESTRICTIVE",
          roles: ["authenticated"],
          using: "true",
        }),
      ],
    };
    const result = await applyTable(
      db.url,
      await checked(provider, inputsFor(restrictive, db.url), outs),
      previousApply(outs),
      { lockTimeoutSeconds: 2, lockRetries: 0 },
    );
    expect(result.steps.map((s) => s.kind)).toEqual(["replace"]);
    expect(result.statements).toEqual([
      'DROP POLICY "p" ON "public"."replace_me"',
      'CREATE POLICY "p" ON "public"."replace_me" AS RESTRICTIVE FOR SELECT TO "authenticated" USING (true)',
    ]);
    const [after] = await livePolicies(db, "replace_me");
    expect(after!.oid).not.toBe(before!.oid);
    expect(after).toMatchObject({ cmd: "SELECT", permissive: "RESTRICTIVE" });
  });

  it("a failure after the drop leaves the table exactly as it was (the old policy is still there)", async () => {
    const base = declareTable({
      table: "atomic_me",
      policies: [
        { name: "p", command: "ALL", roles: ["authenticated"], using: "tenant_id is not null" },
      ],
    });
    const { provider, outs } = await freshTable("atomic_me", base);
    const before = await livePolicies(db, "atomic_me");
    // The plan drops p (no longer declared) and then creates q, which fails: the column does not exist.
    const broken = {
      ...base,
      policies: [
        policy({
          name: "q",
          command: "SELECT",
          roles: ["authenticated"],
          using: "no_such_column = 1",
        }),
      ],
    };
    // Preview reports the missing column; a column dropped after preview fails in up.
    expect(
      (await provider.check!(inputsFor(base, db.url), inputsFor(broken, db.url))).failures,
    ).toEqual([
      {
        property: "policies[0].using",
        reason: expect.stringContaining(
          "names column no_such_column, which public.atomic_me does not have",
        ),
      },
    ]);
    const news = await canonical(inputsFor(broken, db.url));
    const error = await provider.update!("public.atomic_me", outs, news).then(
      () => undefined,
      (e: Error) => e,
    );
    // The error names the table, the step and the statement that failed…
    expect(error?.message).toMatch(
      /^public\.atomic_me: create policy q: .*column "no_such_column" does not exist/,
    );
    expect(error?.message).toContain('statement: CREATE POLICY "q" ON "public"."atomic_me"');
    // …and the drop that ran before it was rolled back with it.
    expect(await livePolicies(db, "atomic_me")).toEqual(before);
    expect(await rlsFlags(db, "atomic_me")).toEqual({ enabled: true, forced: true });
  });

  it("a bad expression for an existing policy fails while normalizing, before any change", async () => {
    const base = declareTable({
      table: "atomic_too",
      policies: [
        { name: "p", command: "ALL", roles: ["authenticated"], using: "tenant_id is not null" },
      ],
    });
    const { provider, outs } = await freshTable("atomic_too", base);
    const before = await livePolicies(db, "atomic_too");
    const broken = {
      ...base,
      policies: [
        policy({
          name: "p",
          command: "SELECT",
          roles: ["authenticated"],
          using: "no_such_column = 1",
        }),
      ],
    };
    const news = await canonical(inputsFor(broken, db.url));
    await expect(provider.update!("public.atomic_too", outs, news)).rejects.toThrow(
      /^policy p \(a trial CREATE POLICY, rolled back, to normalize its expressions\): .*column "no_such_column" does not exist/,
    );
    expect(await livePolicies(db, "atomic_too")).toEqual(before);
  });

  it("renames a policy in place with ALTER POLICY … RENAME (same oid)", async () => {
    const base = declareTable({
      table: "rename_me",
      policies: [
        {
          name: "old_name",
          command: "SELECT",
          roles: ["authenticated"],
          using: "tenant_id is not null",
        },
      ],
    });
    const { provider, outs } = await freshTable("rename_me", base);
    const [before] = await livePolicies(db, "rename_me");
    const renamed = {
      ...base,
      policies: [
        policy({
          name: "new_name",
          command: "SELECT",
          roles: ["authenticated"],
          using: "tenant_id is not null",
        }),
      ],
    };
    const news = await checked(provider, inputsFor(renamed, db.url), outs);
    const result = await applyTable(db.url, news, previousApply(outs), {
      lockTimeoutSeconds: 2,
      lockRetries: 0,
    });
    expect(result.statements).toEqual([
      'ALTER POLICY "old_name" ON "public"."rename_me" RENAME TO "new_name"',
    ]);
    const [after] = await livePolicies(db, "rename_me");
    expect(after).toMatchObject({ policyname: "new_name", oid: before!.oid });
  });

  it("drops undeclared policies (permissive policies only ever widen access)", async () => {
    const base = declareTable({
      table: "extra_me",
      policies: [
        {
          name: "keep",
          command: "SELECT",
          roles: ["authenticated"],
          using: "tenant_id is not null",
        },
      ],
    });
    const { provider, outs } = await freshTable("extra_me", base);
    await db.sql(`create policy sneaky on public.extra_me for select to anon using (true)`);
    const refreshed = (await freshProvider().read!("public.extra_me", outs))
      .props as RlsTableOutputs;
    expect(refreshed.drift).toEqual([
      "policy sneaky was added out of band (PERMISSIVE SELECT to anon)",
    ]);
    const news = await checked(provider, inputsFor(base, db.url), refreshed);
    expect((await provider.diff!("public.extra_me", refreshed, news)).changes).toBe(true);
    await provider.update!("public.extra_me", refreshed, news);
    expect((await livePolicies(db, "extra_me")).map((p) => p.policyname)).toEqual(["keep"]);
  });
});

describe("privileges and migration-style expressions", () => {
  const grantsOf = async (table: string) =>
    Object.fromEntries(
      (
        await db.sql<{ role: string; privileges: string[] }>(
          `select r as role, array(select p from unnest(array['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p
                                   where has_table_privilege(r, $1::regclass, p)) as privileges
           from unnest(array['anon', 'authenticated']) r`,
          [`public.${table}`],
        )
      ).map((r) => [r.role, r.privileges]),
    );

  it("create grants and revokes per API role in the table's transaction: TRUNCATE, TRIGGER, REFERENCES go", async () => {
    await db.sql(`create table public.granted (id int primary key, tenant_id uuid not null)`);
    // Supabase's default grants (the harness applies them to public).
    expect((await grantsOf("granted")).anon).toContain("TRUNCATE");
    const spec = declareTable({ table: "granted", tenant: { column: "tenant_id" } });
    const { outs } = await createTable(freshProvider(), inputsFor(spec, db.url));
    expect(await grantsOf("granted")).toEqual({
      anon: [],
      authenticated: ["SELECT", "INSERT", "UPDATE", "DELETE"],
    });
    expect(committedState(outs).privileges?.authenticated).toEqual([
      "SELECT",
      "INSERT",
      "UPDATE",
      "DELETE",
    ]);
  });

  it("a grant that fails rolls the policies back with it", async () => {
    await db.sql(`create table public.grant_fails (id int primary key, tenant_id uuid not null)`);
    const spec = declareTable({ table: "grant_fails", tenant: { column: "tenant_id" } });
    const provider = freshProvider();
    const news = inputsFor(spec, db.url, {
      privileges: { ...spec.privileges, no_such_role: ["SELECT"] },
    });
    // Preview says so first…
    expect((await provider.check!({} as RlsTableInputs, news)).failures).toEqual([
      {
        property: "privileges.no_such_role",
        reason: expect.stringContaining("role 'no_such_role' does not exist"),
      },
    ]);
    // …and if the role vanished after preview, the whole table rolls back.
    await expect(provider.create(await canonical(news))).rejects.toThrow(/no_such_role/);
    expect(await livePolicies(db, "grant_fails")).toEqual([]);
    expect(await rlsFlags(db, "grant_fails")).toEqual({ enabled: false, forced: false });
  });

  it("an expression copied from a migration with a trailing -- comment checks and applies", async () => {
    await db.sql(`create table public.commented (id int primary key, tenant_id uuid not null)`);
    const spec = declareTable({
      table: "commented",
      policies: [
        {
          name: "by_tenant",
          command: "SELECT",
          roles: ["authenticated"],
          using: "tenant_id = ((select auth.jwt()) ->> 'tenant_id')::uuid -- tenant isolation",
        },
      ],
    });
    await createTable(freshProvider(), inputsFor(spec, db.url));
    expect((await livePolicies(db, "commented"))[0]!.qual).toBe(
      "(tenant_id = ((( SELECT auth.jwt() AS jwt) ->> 'tenant_id'::text))::uuid)",
    );
  });

  it("pulumi import reaches read with no state: the error says how to adopt a table instead", async () => {
    await expect(freshProvider().read!("public.agents", undefined)).rejects.toThrow(
      /cannot be adopted with pulumi import.*npm run rls:import/,
    );
  });
});

describe("drift", () => {
  it("refresh sees a policy dropped out of band, diff wants an update, and the update restores it", async () => {
    const spec = declareTable({
      table: "plans",
      publicRead: true,
      policies: [
        {
          name: "service_write",
          command: "ALL",
          roles: ["service_role"],
          using: "true",
          withCheck: "true",
        },
      ],
    });
    const { outs } = await createTable(freshProvider(), inputsFor(spec, db.url));
    await db.sql(`drop policy public_read on public.plans`);

    const refresh = freshProvider();
    const read = await refresh.read!("public.plans", outs);
    const props = read.props as RlsTableOutputs;
    expect(read.id).toBe("public.plans");
    expect(props.drift).toEqual(["policy public_read was dropped out of band"]);
    expect(props.applied).toEqual(outs.applied);
    // What the refresh saw is recorded beside what the apply left, while they differ.
    expect(props.live?.policies.map((p) => p.name)).toEqual(["service_write"]);

    const news = await checked(refresh, inputsFor(spec, db.url), props);
    expect(await refresh.diff!("public.plans", props, news)).toMatchObject({ changes: true });
    const updated = (await refresh.update!("public.plans", props, news)).outs as RlsTableOutputs;
    expect((await livePolicies(db, "plans")).map((p) => p.policyname)).toEqual([
      "public_read",
      "service_write",
    ]);
    expect(updated.drift).toEqual([]);

    const after = (await freshProvider().read!("public.plans", updated)).props as RlsTableOutputs;
    expect(after.drift).toEqual([]);
    expect(after).not.toHaveProperty("live");
    expect((await freshProvider().diff!("public.plans", after, news)).changes).toBe(false);
  });

  it("refresh sees RLS disabled and FORCE removed by hand; the update turns both back on", async () => {
    const spec = declareTable({ table: "agents_copy", tenant: { column: "tenant_id" } });
    await db.sql(`create table public.agents_copy (like public.agents including all)`);
    const { outs } = await createTable(freshProvider(), inputsFor(spec, db.url));
    await db.sql(`alter table public.agents_copy disable row level security`);
    await db.sql(`alter table public.agents_copy no force row level security`);

    const refresh = freshProvider();
    const props = (await refresh.read!("public.agents_copy", outs)).props as RlsTableOutputs;
    expect(props.drift).toEqual([
      "row level security was DISABLED out of band",
      "FORCE row level security was removed out of band (the owner now bypasses policies)",
    ]);
    const news = await checked(refresh, inputsFor(spec, db.url), props);
    expect((await refresh.diff!("public.agents_copy", props, news)).changes).toBe(true);
    await refresh.update!("public.agents_copy", props, news);
    expect(await rlsFlags(db, "agents_copy")).toEqual({ enabled: true, forced: true });
  });

  it("an edited expression shows as drift with both versions", async () => {
    await db.sql(`create table public.edited (id int primary key, tenant_id uuid)`);
    const spec = declareTable({ table: "edited", tenant: { column: "tenant_id" } });
    const { outs } = await createTable(freshProvider(), inputsFor(spec, db.url));
    await db.sql(`alter policy tenant_isolation_select on public.edited using (true)`);
    const props = (await freshProvider().read!("public.edited", outs)).props as RlsTableOutputs;
    expect(props.drift).toHaveLength(1);
    expect(props.drift[0]).toMatch(
      /^policy tenant_isolation_select: USING changed: expected \(tenant_id = .*, live true$/,
    );
  });

  it("a dropped table makes read report the resource gone", async () => {
    await db.sql(`create table public.doomed (id int primary key, tenant_id uuid)`);
    const spec = declareTable({ table: "doomed", tenant: { column: "tenant_id" } });
    const { outs } = await createTable(freshProvider(), inputsFor(spec, db.url));
    await db.sql(`drop table public.doomed`);
    expect(await freshProvider().read!("public.doomed", outs)).toEqual({});
  });
});

describe("delete", () => {
  it("drops the managed policies and leaves RLS enabled and forced (fails closed)", async () => {
    await db.sql(`create table public.retired (id int primary key, tenant_id uuid)`);
    const spec = declareTable({ table: "retired", tenant: { column: "tenant_id" } });
    const provider = freshProvider();
    const { outs } = await createTable(provider, inputsFor(spec, db.url));
    await provider.delete!("public.retired", outs);
    expect(await livePolicies(db, "retired")).toEqual([]);
    expect(await rlsFlags(db, "retired")).toEqual({ enabled: true, forced: true });
    // Deleting again (or after the table is gone) is not an error.
    await provider.delete!("public.retired", outs);
    await db.sql(`drop table public.retired`);
    await provider.delete!("public.retired", outs);
  });
});

describe("check", () => {
  it("rejects expressions that do not parse, with the position, and clauses the command cannot have", async () => {
    const provider = freshProvider();
    const result = await provider.check!({} as never, {
      ...inputsFor(agents, db.url),
      policies: [
        {
          name: "bad_syntax",
          command: "SELECT",
          mode: "PERMISSIVE",
          roles: ["authenticated"],
          using: "tenant_id = = 1",
          withCheck: null,
        },
        {
          name: "escape",
          command: "SELECT",
          mode: "PERMISSIVE",
          roles: ["authenticated"],
          using: "true) with check (true",
          withCheck: null,
        },
        {
          name: "insert_using",
          command: "INSERT",
          mode: "PERMISSIVE",
          roles: ["authenticated"],
          using: "true",
          withCheck: "true",
        },
        {
          name: "insert_using",
          command: "SELECT",
          mode: "PERMISSIVE",
          roles: [],
          using: "true",
          withCheck: null,
        },
      ],
    });
    const failures = result.failures ?? [];
    expect(failures).toContainEqual({
      property: "policies[0].using",
      reason:
        "policy 'bad_syntax' USING does not parse: syntax error at or near \"=\" at character 13 of `tenant_id = = 1`",
    });
    expect(failures).toContainEqual({
      property: "policies[1].using",
      reason:
        "policy 'escape' USING does not parse: unbalanced ')': the expression closes a parenthesis it did not open at character 5 of `true) with check (true`",
    });
    expect(failures).toContainEqual({
      property: "policies[2].using",
      reason: "an INSERT policy cannot have USING; use withCheck",
    });
    expect(failures).toContainEqual({
      property: "policies[3].name",
      reason: "policy 'insert_using' is declared twice on this table",
    });
    expect(failures).toContainEqual({
      property: "policies[3].roles",
      reason: "needs at least one role (use 'public' for every role)",
    });
  });

  it("never echoes the connection string in a failure", async () => {
    const provider = freshProvider();
    const result = await provider.check!({} as never, {
      ...inputsFor(agents, db.url),
      table: "x".repeat(70),
    });
    expect(JSON.stringify(result.failures)).not.toContain(db.url);
    expect(result.failures).toContainEqual({
      property: "table",
      reason: expect.stringContaining("longer than 63 bytes"),
    });
  });
});
