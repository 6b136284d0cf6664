/**
 * Shared by the RLS integration tests: a fresh database with the example
 * app's schema, direct provider calls the way the engine makes them (check
 * first, then create/update with the checked inputs), and catalog peeks.
 */
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { APP_SCHEMA_SQL_PATH } from "../../../infra/local/example-app/rls";
import type { PolicySpec, TableSpec } from "../../../infra/rls/model";
import {
  createRlsTableProvider,
  type RlsTableInputs,
  type RlsTableOutputs,
} from "../../../infra/rls/provider";
import { sqlDatabase, type SqlDatabase } from "../../support/services";

export type TestDatabase = SqlDatabase;

export async function appDatabase(prefix = "rls"): Promise<TestDatabase> {
  const db = await sqlDatabase(prefix);
  await db.sql(readFileSync(APP_SCHEMA_SQL_PATH, "utf8"));
  return db;
}

let scopes = 0;

/** What the providers made by `freshProvider` printed (the engine shows it as diagnostics). */
export const printed: string[] = [];

/** A provider as a fresh `pulumi` command would have it (its own catalog snapshot cache). */
export function freshProvider() {
  return createRlsTableProvider({
    cacheScope: `test-${process.pid}-${++scopes}`,
    report: (line) => void printed.push(line),
  });
}

export function inputsFor(
  spec: TableSpec,
  url: string,
  overrides: Partial<RlsTableInputs> = {},
): RlsTableInputs {
  return {
    schema: spec.schema,
    table: spec.table,
    enabled: spec.enabled,
    force: spec.force,
    policies: spec.policies,
    connection: url,
    lockTimeoutSeconds: 2,
    lockRetries: 2,
    catalogSchemas: [spec.schema],
    privileges: spec.privileges,
    providerVersion: "test-1",
    ...overrides,
  };
}

type Provider = ReturnType<typeof freshProvider>;

/** `check` as the engine calls it; fails the test on any check failure. */
export async function checked(
  provider: Provider,
  news: RlsTableInputs,
  olds: Partial<RlsTableInputs> = {},
): Promise<RlsTableInputs> {
  const result = await provider.check!(olds as RlsTableInputs, news);
  expect(result.failures ?? []).toEqual([]);
  return result.inputs as RlsTableInputs;
}

export async function createTable(
  provider: Provider,
  news: RlsTableInputs,
): Promise<{ id: string; outs: RlsTableOutputs }> {
  const inputs = await checked(provider, news);
  const result = await provider.create(inputs);
  return { id: result.id, outs: result.outs as RlsTableOutputs };
}

/** Policies on a table straight from pg_policies, plus their oids (an ALTER keeps the oid, a drop+create does not). */
export async function livePolicies(db: TestDatabase, table: string, schema = "public") {
  return db.sql<{
    policyname: string;
    oid: number;
    cmd: string;
    permissive: string;
    roles: string[];
    qual: string | null;
    with_check: string | null;
  }>(
    `select p.policyname, pol.oid::int as oid, p.cmd, p.permissive, p.roles::text[] as roles, p.qual, p.with_check
     from pg_policies p join pg_policy pol on pol.polname = p.policyname
       and pol.polrelid = (quote_ident(p.schemaname) || '.' || quote_ident(p.tablename))::regclass
     where p.schemaname = $1 and p.tablename = $2 order by p.policyname`,
    [schema, table],
  );
}

export async function rlsFlags(db: TestDatabase, table: string, schema = "public") {
  const [row] = await db.sql<{ enabled: boolean; forced: boolean }>(
    `select relrowsecurity as enabled, relforcerowsecurity as forced from pg_class where oid = $1::regclass`,
    [`"${schema}"."${table}"`],
  );
  return row!;
}

export function byName(policies: PolicySpec[], name: string): PolicySpec {
  const p = policies.find((x) => x.name === name);
  if (!p) throw new Error(`no policy ${name}`);
  return p;
}
