/**
 * Parity with Supabase's database advisor (splinter): for each of its
 * security lints that applies without Supabase-only extensions (pg_graphql,
 * pgmq, Storage buckets, Auth settings are left out), the problem is planted
 * in a real database and `rls:lint` (lintDatabase, what the command runs,
 * without a stack, as the advisor runs) must report it. Each test names the
 * advisor's lint. The problems sit in `public`, in `app` (exposed only when
 * `--schemas public,app` says so) and in `private` (never exposed).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closePools } from "../../../infra/postgres/client";
import type { Finding } from "../../../infra/lib/findings";
import { lintDatabase } from "../../../infra/rls/lint-run";
import { appDatabase, type TestDatabase } from "./helpers";

let db: TestDatabase;
let findings: Finding[];
let publicOnly: Finding[];

const database = {
  exposedSchemas: ["public"],
  appRole: "authenticated",
  bypassRlsAllowed: ["service_role"],
};

function found(id: string, subject: string): Finding | undefined {
  return findings.find((f) => f.id === id && f.subject === subject);
}

beforeAll(async () => {
  db = await appDatabase("rls_splinter");
  await db.sql(`
    create schema app;
    create schema private;
    grant usage on schema app, private to anon, authenticated;

    -- 0002: a view over auth.users in public, readable by the API roles
    create view public.profiles with (security_invoker = true) as select id, email from auth.users;
    grant select on public.profiles to anon, authenticated;

    -- 0003: auth.uid() and current_setting() evaluated per row
    create table public.notes (id int primary key, owner uuid, tenant uuid);
    alter table public.notes enable row level security;
    create policy notes_owner on public.notes for select to authenticated using (owner = auth.uid());
    create policy notes_setting on public.notes for update to authenticated
      using (tenant = current_setting('app.tenant', true)::uuid) with check (tenant = current_setting('app.tenant', true)::uuid);

    -- 0006: two permissive policies for the same role and command
    create table public.boards (id int primary key, owner uuid, team uuid);
    alter table public.boards enable row level security;
    create policy boards_owner on public.boards for select to authenticated using (owner = (select auth.uid()));
    create policy boards_team on public.boards for select to authenticated using (team = (select auth.uid()));

    -- 0007: policies on a table whose RLS is off, in a schema the API does not expose
    create table private.jobs (id int primary key, owner uuid);
    create policy jobs_owner on private.jobs for select to authenticated using (owner = (select auth.uid()));

    -- 0008: RLS on, no policy
    create table public.locked (id int primary key);
    alter table public.locked enable row level security;

    -- 0010: a view that runs as its owner
    create view public.all_notes as select * from public.notes;

    -- 0011: functions with the caller's search_path, one of them SECURITY DEFINER
    create function public.is_admin() returns boolean language sql security definer as $$ select true $$;
    create function public.slugify(t text) returns text language sql as $$ select lower(t) $$;

    -- 0013 and 0023: a table without RLS in public, with a sensitive column
    create table public.accounts (id int primary key, email text, password text);
    -- the same in app, which only --schemas public,app exposes
    create table app.secrets (id int primary key, api_key text);

    -- 0014: an extension installed in public
    create extension citext schema public;

    -- 0015: a policy that trusts user_metadata
    create table public.admin_panel (id int primary key);
    alter table public.admin_panel enable row level security;
    create policy admin_by_metadata on public.admin_panel for select to authenticated
      using ((select auth.jwt()) -> 'user_metadata' ->> 'role' = 'admin');

    -- 0016: a materialized view in an exposed schema
    create materialized view public.note_counts as select count(*) as n from public.notes;
    grant select on public.note_counts to anon;

    -- 0017: a foreign table in an exposed schema
    create extension file_fdw schema private;
    create server local_files foreign data wrapper file_fdw;
    create foreign table public.imports (line text) server local_files options (filename '/dev/null');
    grant select on public.imports to authenticated;

    -- 0024: always-true write policies
    create table public.comments (id int primary key, body text);
    alter table public.comments enable row level security;
    create policy comments_all on public.comments for all to authenticated using (true);
    create policy comments_update on public.comments for update to authenticated using (1=1);
    create policy comments_insert on public.comments for insert to anon with check (true);

    -- 0028 and 0029: SECURITY DEFINER functions anon and authenticated can execute, exposed or not
    create function public.delete_everything() returns void language sql security definer set search_path = '' as $$ select $$;
    create function private.peek() returns bigint language sql security definer set search_path = '' as $$ select 1::bigint $$;
    grant execute on function private.peek() to anon;

    -- 0030: true for every row when the session has no user
    create table public.documents (id int primary key, owner uuid);
    alter table public.documents enable row level security;
    create policy documents_read on public.documents for select to anon, authenticated
      using (auth.uid() is null or owner = auth.uid());
  `);
  findings = (
    await lintDatabase({
      connectionString: db.url,
      tables: [],
      database,
      schemas: ["public", "app"],
    })
  ).findings;
  publicOnly = (await lintDatabase({ connectionString: db.url, tables: [], database })).findings;
});

afterAll(async () => {
  await closePools();
  await db?.drop();
});

describe("rls:lint finds what Supabase's advisor (splinter) finds", () => {
  it("0002 auth_users_exposed: a view over auth.users the API roles can read", () => {
    expect(found("disallow-exposed-auth-users-views", "public.profiles")).toMatchObject({
      severity: "high",
    });
  });

  it("0003 auth_rls_initplan: auth.uid() and current_setting() evaluated per row", () => {
    expect(found("require-wrapped-auth-calls", "public.notes policy notes_owner")).toBeDefined();
    expect(
      found("require-wrapped-auth-calls", "public.notes policy notes_setting")?.message,
    ).toContain("current_setting()");
  });

  it("0006 multiple_permissive_policies: two permissive SELECT policies for authenticated", () => {
    expect(
      found("disallow-overlapping-permissive-policies", "public.boards authenticated SELECT"),
    ).toBeDefined();
  });

  it("0007 policy_exists_rls_disabled: policies on a table with RLS off, in a private schema", () => {
    expect(found("require-rls-where-policies-exist", "private.jobs")).toBeDefined();
  });

  it("0008 rls_enabled_no_policy: RLS on and no policy", () => {
    expect(found("require-policies-on-rls-tables", "public.locked")).toBeDefined();
  });

  it("0010 security_definer_view: a view readable by the API roles that runs as its owner", () => {
    expect(found("disallow-security-definer-views", "public.all_notes")).toMatchObject({
      severity: "high",
    });
  });

  it("0011 function_search_path_mutable: SECURITY DEFINER (high) and plain functions (low)", () => {
    expect(
      found("require-fixed-search-path-on-security-definer-functions", "public.is_admin()"),
    ).toMatchObject({ severity: "high" });
    expect(found("require-fixed-search-path-on-functions", "public.slugify(t text)")).toMatchObject(
      {
        severity: "low",
      },
    );
  });

  it("0013 rls_disabled_in_public and 0023 sensitive_columns_exposed: a table with a password column and RLS off", () => {
    expect(found("require-rls-on-exposed-tables", "public.accounts")).toMatchObject({
      severity: "high",
    });
  });

  it("0013 with --schemas public,app: the same in the app schema, which the advisor's exposed schemas include", () => {
    expect(found("require-rls-on-exposed-tables", "app.secrets")).toBeDefined();
    expect(
      publicOnly.some(
        (f) => f.id === "require-rls-on-exposed-tables" && f.subject === "app.secrets",
      ),
    ).toBe(false);
  });

  it("0014 extension_in_public: an extension installed in public", () => {
    expect(found("disallow-extensions-in-exposed-schemas", "extension citext")).toBeDefined();
  });

  it("0015 rls_references_user_metadata: a policy that reads user_metadata", () => {
    expect(
      found("disallow-user-metadata-in-policies", "public.admin_panel policy admin_by_metadata"),
    ).toMatchObject({ severity: "high" });
  });

  it("0016 materialized_view_in_api: a materialized view anon can read", () => {
    expect(found("disallow-exposed-materialized-views", "public.note_counts")).toBeDefined();
  });

  it("0017 foreign_table_in_api: a foreign table authenticated can read", () => {
    expect(found("disallow-exposed-foreign-tables", "public.imports")).toBeDefined();
  });

  it("0024 rls_policy_always_true: FOR ALL USING (true), FOR UPDATE USING (1=1), FOR INSERT TO anon WITH CHECK (true)", () => {
    for (const name of ["comments_all", "comments_update", "comments_insert"])
      expect(
        found("disallow-always-true-write-policies", `public.comments policy ${name}`),
        name,
      ).toMatchObject({ severity: "high" });
  });

  it("0028 anon_security_definer_function_executable and 0029 authenticated_…: in public and in a private schema", () => {
    expect(
      found("disallow-exposed-security-definer-functions", "public.delete_everything()")?.message,
    ).toContain("anon, authenticated");
    expect(
      found("disallow-exposed-security-definer-functions", "private.peek()")?.message,
    ).toContain("anon");
  });

  it("0030 rls_policy_null_auth_disjunct: auth.uid() IS NULL OR …", () => {
    expect(
      found("disallow-null-auth-disjuncts", "public.documents policy documents_read"),
    ).toMatchObject({ severity: "high" });
  });

  it("and beyond the advisor: TRUNCATE for the API roles, and a foreign key across tenants", () => {
    expect(found("disallow-rls-bypassing-privileges", "public.notes")?.message).toContain(
      "TRUNCATE",
    );
    expect(
      found(
        "require-tenant-column-in-foreign-keys",
        "public.agents foreign key agents_tenant_project_fkey",
      ),
    ).toBeUndefined();
  });
});
