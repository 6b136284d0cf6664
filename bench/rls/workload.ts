/**
 * The RLS benchmarks' shared workload and baseline: N tables with tenant
 * isolation (4 policies each), and the same statements as the SQL file a
 * person would run with `psql -f`.
 */
import { spawnSync } from "node:child_process";
import { Client } from "pg";
import { declareTable, type TableSpec } from "../../infra/rls/model";
import { createPolicySql, forceRowSecuritySql, rowSecuritySql } from "../../infra/rls/sql";
import { readStatementStats, type StatementRunner } from "../../test/support/statement-stats";

export const TABLES = Number(process.env.BENCH_RLS_TABLES ?? 250);

export function tableSpecs(): TableSpec[] {
  return Array.from({ length: TABLES }, (_, i) =>
    declareTable({ table: `bench_${String(i).padStart(3, "0")}`, tenant: { column: "tenant_id" } }),
  );
}

/** The app's migration for those tables (the provider never creates tables). */
export function schemaSql(specs: TableSpec[]): string {
  return specs
    .map(
      (s) =>
        `create table public.${s.table} (id bigint generated always as identity primary key, tenant_id uuid not null, name text, created_at timestamptz default now());`,
    )
    .join("\n");
}

/** The equivalent migration a person would write: the same statements, one per line. */
export function equivalentSql(specs: TableSpec[]): string {
  const lines: string[] = [];
  for (const s of specs) {
    for (const p of s.policies) lines.push(`${createPolicySql(s, p)};`);
    lines.push(`${rowSecuritySql(s, true)};`, `${forceRowSecuritySql(s, true)};`);
  }
  return `${lines.join("\n")}\n`;
}

/** One statement on a short-lived connection. */
export async function sql<T = Record<string, unknown>>(
  url: string,
  text: string,
  params?: unknown[],
): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** A runner for test/support/statement-stats bound to one database. */
export function runnerFor(url: string): StatementRunner {
  return <T>(text: string, params?: unknown[]) => sql<T>(url, text, params);
}

/** What the provider sent since the last reset, as the summaries report it (not the DDL list). */
export async function statementCounts(url: string) {
  const { catalogSnapshotQueries, ddlStatements, totalStatements } = await readStatementStats(
    runnerFor(url),
  );
  return { catalogSnapshotQueries, ddlStatements, totalStatements };
}

/** The baseline: `psql -f file`, wall-clock seconds. */
export function psqlSeconds(url: string, file: string): number {
  const parsed = new URL(url);
  const started = process.hrtime.bigint();
  const result = spawnSync(
    "psql",
    [
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-h",
      parsed.hostname,
      "-p",
      parsed.port,
      "-U",
      decodeURIComponent(parsed.username),
      "-d",
      parsed.pathname.slice(1),
      "-f",
      file,
    ],
    // The password goes through the environment, never argv.
    { encoding: "utf8", env: { ...process.env, PGPASSWORD: decodeURIComponent(parsed.password) } },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
  return seconds;
}
