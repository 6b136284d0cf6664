/**
 * Declared expressions as Postgres would store them, found without touching
 * the real tables: for `rls:lint` and `rls:drift`, which must be safe to run
 * against production while it is on fire.
 *
 * For each declared table, inside one transaction that is always rolled back:
 * a temporary table with the same name and columns (`LIKE`, which takes only
 * ACCESS SHARE on the real one), the declared policies created on it, and
 * `pg_get_expr` read back for both the temporary policies and the real ones —
 * in the same session, so both texts are printed with the same names in scope.
 * The provider normalizes on the real table instead, because it changes it
 * anyway under its own lock; this module never locks a real table exclusively.
 *
 * A read-only server (a hot standby) cannot create temporary tables: then, and
 * for a table whose declared policies Postgres refuses, the expressions are
 * reported as not comparable instead of guessed at.
 */
import { PostgresError, type Queryable } from "../postgres/client";
import { POLICY_JSON, toLivePolicies, type LivePolicy, type PolicyRow } from "./catalog";
import { quoteLiteral } from "../postgres/identifiers";
import type { PolicySpec } from "./model";
import { createPolicySql, lockTimeoutSql, qualifiedTable, quoteIdent } from "./sql";

export interface NormalizedTable {
  /** Declared policies as Postgres stores them (names as declared). */
  declared: LivePolicy[];
  /** The real table's policies, read in the same session. */
  live: LivePolicy[];
}

export type Normalization = { ok: NormalizedTable } | { problem: string };

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? message).replace(/^.*?\): /, "");
}

/** Normalize the declared policies of each table; keyed by `schema.table`. */
export async function normalizeDeclared(
  client: Queryable,
  tables: readonly { schema: string; table: string; policies: PolicySpec[] }[],
  lockTimeoutSeconds = 5,
): Promise<Map<string, Normalization>> {
  const out = new Map<string, Normalization>();
  if (tables.length === 0) return out;
  await client.query(`BEGIN; ${lockTimeoutSql(lockTimeoutSeconds)}`);
  try {
    for (const t of tables) {
      const key = `${t.schema}.${t.table}`;
      const temp = { schema: "pg_temp", table: t.table };
      const statements = [
        "SAVEPOINT runbooks_normalize",
        `CREATE TEMPORARY TABLE ${quoteIdent(t.table)} (LIKE ${qualifiedTable(t)})`,
        ...t.policies.map((p) => createPolicySql(temp, p)),
        `select (select ${POLICY_JSON.replace(/\bc\.oid\b/g, "t.oid")}
                 from pg_class t where t.relnamespace = pg_my_temp_schema() and t.relname = ${quoteLiteral(t.table)}) as declared,
                (select ${POLICY_JSON.replace(/\bc\.oid\b/g, "r.oid")}
                 from pg_class r where r.oid = to_regclass(${quoteLiteral(qualifiedTable(t))})) as live`,
      ];
      try {
        const results = await client.query(statements.join(";\n"));
        const last = (Array.isArray(results) ? results[results.length - 1] : results) as {
          rows: { declared: PolicyRow[]; live: PolicyRow[] }[];
        };
        const row = last.rows[0]!;
        out.set(key, {
          ok: { declared: toLivePolicies(row.declared), live: toLivePolicies(row.live ?? []) },
        });
      } catch (error) {
        if (!(error instanceof PostgresError)) throw error;
        out.set(key, { problem: firstLine(error.message) });
      } finally {
        await client.query("ROLLBACK TO SAVEPOINT runbooks_normalize").catch(() => undefined);
      }
    }
  } finally {
    await client.query("ROLLBACK").catch(() => undefined);
  }
  return out;
}
