/**
 * A refresh reads the catalog once for the whole stack, not once per table,
 * and a no-op refresh + diff issues no DDL. Counted by pg_stat_statements.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closePools } from "../../../infra/postgres/client";
import { declareTable, type TableSpec } from "../../../infra/rls/model";
import type { RlsTableOutputs } from "../../../infra/rls/provider";
import {
  appDatabase,
  checked,
  createTable,
  freshProvider,
  inputsFor,
  type TestDatabase,
} from "./helpers";
import { readStatementStats, resetStatementStats } from "../../support/statement-stats";

let db: TestDatabase;
const outs: RlsTableOutputs[] = [];
const TABLES = 24;
const specs: TableSpec[] = Array.from({ length: TABLES }, (_, i) =>
  declareTable({ table: `t${String(i).padStart(3, "0")}`, tenant: { column: "tenant_id" } }),
);

beforeAll(async () => {
  db = await appDatabase("rls_refresh");
  await db.sql(
    specs
      .map(
        (s) =>
          `create table public.${s.table} (id bigint generated always as identity primary key, tenant_id uuid not null);`,
      )
      .join("\n"),
  );
});

afterAll(async () => {
  await closePools();
  await db?.drop();
});

describe("refresh", () => {
  it("reads the catalog in one query for every table, issues no DDL, and the diff is empty", async () => {
    const up = freshProvider();
    for (const spec of specs)
      outs.push(
        (await createTable(up, inputsFor(spec, db.url, { catalogSchemas: ["public"] }))).outs,
      );

    await resetStatementStats(db.sql);
    const refresh = freshProvider();
    // The engine refreshes resources concurrently.
    const reads = await Promise.all(outs.map((o) => refresh.read!(`public.${o.table}`, o)));
    const diffs = await Promise.all(
      reads.map(async (r, i) =>
        refresh.diff!(
          r.id!,
          r.props as RlsTableOutputs,
          await checked(refresh, inputsFor(specs[i]!, db.url), r.props),
        ),
      ),
    );
    expect(reads.every((r) => (r.props as RlsTableOutputs).drift.length === 0)).toBe(true);
    expect(diffs.every((d) => d.changes === false)).toBe(true);
    expect((await readStatementStats(db.sql)).catalogSnapshotQueries).toBe(1);
    expect((await readStatementStats(db.sql)).ddl).toEqual([]);
  });

  it("a later command (a new provider process) reads afresh and sees an out-of-band change", async () => {
    const sameCommand = freshProvider();
    const before = await sameCommand.read!("public.t007", outs[7]!);
    await db.sql(`drop policy tenant_isolation_delete on public.t007`);
    const nextCommand = freshProvider();
    const after = await nextCommand.read!("public.t007", outs[7]!);
    expect((before.props as RlsTableOutputs).drift).toEqual([]);
    expect((after.props as RlsTableOutputs).drift).toEqual([
      "policy tenant_isolation_delete was dropped out of band",
    ]);
  });
});
