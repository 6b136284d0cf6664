import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../infra/local/postgres";
import { services } from "../../support/services";

describe("harness: PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase(services().postgres.adminUrl, "harness");
    client = new Client({ connectionString: db.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it("is a real PostgreSQL 15+ server with pg_stat_statements preloaded", async () => {
    const { rows } = await client.query<{ v: number; preload: string }>(
      "select current_setting('server_version_num')::int as v, current_setting('shared_preload_libraries') as preload",
    );
    expect(rows[0]!.v).toBeGreaterThanOrEqual(150000);
    expect(rows[0]!.preload).toContain("pg_stat_statements");
    const stats = await client.query("select count(*)::int as n from pg_stat_statements");
    expect(stats.rows[0].n).toBeGreaterThan(0);
  });

  it("round-trips a table through the server", async () => {
    await client.query("create table roundtrip (id serial primary key, body jsonb not null)");
    await client.query("insert into roundtrip (body) values ($1), ($2)", [
      { n: 1 },
      { n: 2, s: "två" },
    ]);
    const { rows } = await client.query("select body from roundtrip order by id");
    expect(rows.map((r) => r.body)).toEqual([{ n: 1 }, { n: 2, s: "två" }]);
  });

  it("has the Supabase API roles with the right attributes", async () => {
    const { rows } = await client.query<{
      rolname: string;
      rolcanlogin: boolean;
      rolbypassrls: boolean;
    }>(
      "select rolname, rolcanlogin, rolbypassrls from pg_roles where rolname in ('anon','authenticated','service_role','authenticator') order by rolname",
    );
    expect(rows).toEqual([
      { rolname: "anon", rolcanlogin: false, rolbypassrls: false },
      { rolname: "authenticated", rolcanlogin: false, rolbypassrls: false },
      { rolname: "authenticator", rolcanlogin: true, rolbypassrls: false },
      { rolname: "service_role", rolcanlogin: false, rolbypassrls: true },
    ]);
  });

  it("reads the caller from request.jwt.claims in auth.uid() and auth.jwt()", async () => {
    const uid = "6f1f5e3a-1b2c-4d5e-8f90-123456789abc";
    await client.query("begin");
    try {
      await client.query("select set_config('request.jwt.claims', $1, true)", [
        JSON.stringify({ sub: uid, role: "authenticated", tenant_id: "t-a" }),
      ]);
      await client.query("set local role authenticated");
      const { rows } = await client.query(
        "select auth.uid()::text as uid, auth.jwt() ->> 'tenant_id' as tenant, auth.role() as role, current_user as who",
      );
      expect(rows[0]).toEqual({ uid, tenant: "t-a", role: "authenticated", who: "authenticated" });
    } finally {
      await client.query("rollback");
    }
    const after = await client.query("select auth.uid() as uid");
    expect(after.rows[0].uid).toBeNull();
  });

  it("isolates test databases from each other", async () => {
    const other = await createTestDatabase(services().postgres.adminUrl, "harness");
    const c = new Client({ connectionString: other.url });
    await c.connect();
    try {
      const { rows } = await c.query("select to_regclass('public.roundtrip') as t");
      expect(rows[0].t).toBeNull();
    } finally {
      await c.end();
      await other.drop();
    }
  });
});
