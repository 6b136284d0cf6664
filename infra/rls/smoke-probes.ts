/**
 * `rls:smoke` probes: each one statement as one actor, in a savepoint that is
 * always rolled back.
 *
 * Three kinds, matching smoke-plan's `ProbeKind`: row commands through RLS,
 * privileges RLS does not govern (TRUNCATE, TRIGGER, REFERENCES), and
 * cross-tenant foreign-key references, which RLS lets through and only a
 * composite key can refuse. Each returns what the database did; comparing
 * that with the expectation is the caller's.
 */
import { PostgresError, type Queryable } from "../postgres/client";
import type { TableSpec } from "./model";
import {
  claimsFor,
  roleOf,
  type Probe,
  type ProbeResult,
  type SmokeIdentities,
} from "./smoke-plan";
import { insertSql, type Seeder, type TableShape } from "./smoke-seed";
import { qualifiedTable, quoteIdent } from "./sql";

type ProbeOutcome = Pick<ProbeResult, "actual" | "detail">;

/**
 * Run one probe as `role` (with `claims` when given) inside a savepoint that
 * is always rolled back, so no probe changes the database. An error with one
 * of `deniedCodes` is the database refusing ("denied"); any other is "error".
 */
async function probeAs(
  client: Queryable,
  role: string,
  claims: unknown,
  deniedCodes: readonly string[],
  run: () => Promise<ProbeOutcome>,
): Promise<ProbeOutcome> {
  await client.query("SAVEPOINT smoke_probe");
  try {
    await client.query(`SET LOCAL ROLE ${quoteIdent(role)}`);
    if (claims !== undefined)
      await client.query("select set_config('request.jwt.claims', $1, true)", [
        JSON.stringify(claims),
      ]);
    return await run();
  } catch (error) {
    if (error instanceof PostgresError && deniedCodes.includes(error.code ?? ""))
      return { actual: "denied", detail: firstLine(error.message) };
    return {
      actual: "error",
      detail: firstLine(error instanceof Error ? error.message : String(error)),
    };
  } finally {
    await client.query("ROLLBACK TO SAVEPOINT smoke_probe");
  }
}

export async function runProbe(
  client: Queryable,
  spec: TableSpec,
  shape: TableShape,
  probe: Probe,
  rows: { a: Record<string, string>; b: Record<string, string> },
  inserts: { a: Record<string, string>; b: Record<string, string> },
  ids: SmokeIdentities,
  appRole: string,
): Promise<Pick<ProbeResult, "actual" | "detail">> {
  const table = qualifiedTable(spec);
  const target = rows[probe.row];
  const updateColumn =
    spec.tenantColumn ??
    spec.ownerColumn ??
    shape.columns.find((c) => !c.generatedAlways)?.name ??
    shape.columns[0]!.name;
  // 42501: insufficient_privilege — an RLS violation or a missing GRANT; both mean "denied".
  return probeAs(
    client,
    roleOf(probe.actor, appRole),
    claimsFor(probe.actor, spec, ids, appRole),
    ["42501"],
    async (): Promise<ProbeOutcome> => {
      switch (probe.command) {
        case "SELECT": {
          const { rows: found } = await client.query(
            `select count(*)::int as n from ${table} where ctid = $1::tid`,
            [target.__ctid],
          );
          const n = (found[0] as { n: number }).n;
          return { actual: n === 1 ? "allowed" : "denied", detail: `${n} row(s) visible` };
        }
        case "INSERT": {
          const { text, params } = insertSql(
            spec.schema,
            spec.table,
            shape,
            inserts[probe.row],
            false,
          );
          const result = await client.query(text, params);
          return {
            actual: result.rowCount === 1 ? "allowed" : "denied",
            detail: `${result.rowCount ?? 0} row(s) inserted`,
          };
        }
        case "UPDATE": {
          const result = await client.query(
            `update ${table} set ${quoteIdent(updateColumn)} = ${quoteIdent(updateColumn)} where ctid = $1::tid`,
            [target.__ctid],
          );
          return {
            actual: result.rowCount === 1 ? "allowed" : "denied",
            detail: `${result.rowCount ?? 0} row(s) updated`,
          };
        }
        case "DELETE": {
          const result = await client.query(`delete from ${table} where ctid = $1::tid`, [
            target.__ctid,
          ]);
          return {
            actual: result.rowCount === 1 ? "allowed" : "denied",
            detail: `${result.rowCount ?? 0} row(s) deleted`,
          };
        }
        default:
          return { actual: "error", detail: `${probe.command} is not a row probe` };
      }
    },
  );
}

export function firstLine(message: string): string {
  const line = message.split("\n")[0] ?? message;
  const colon = line.indexOf("): ");
  return colon >= 0 ? line.slice(colon + 3) : line;
}

/** Does `role` hold `privilege` on the table (grants through PUBLIC and membership included)? */
async function holds(client: Queryable, role: string, table: string, privilege: string) {
  const { rows } = await client.query("select has_table_privilege($1, $2::regclass, $3) as ok", [
    role,
    table,
    privilege,
  ]);
  return (rows[0] as { ok: boolean }).ok;
}

/**
 * A privilege RLS does not govern. TRUNCATE is attempted when the catalog
 * says it is refused (the refusal comes before any lock, so this is safe) —
 * and never run when it is granted: it would take the table's exclusive lock
 * and empty it for every tenant, rolled back or not.
 */
export async function runPrivilegeProbe(
  client: Queryable,
  spec: TableSpec,
  probe: Probe,
): Promise<Pick<ProbeResult, "actual" | "detail">> {
  const table = qualifiedTable(spec);
  const role = probe.role!;
  if (await holds(client, role, table, probe.command)) {
    return {
      actual: "allowed",
      detail: `${role} holds ${probe.command}${probe.command === "TRUNCATE" ? " (not run: it would empty the table for every tenant)" : ""}`,
    };
  }
  if (probe.command !== "TRUNCATE")
    return { actual: "denied", detail: `${role} does not hold ${probe.command}` };
  return probeAs(client, role, undefined, ["42501"], async () => {
    await client.query(`TRUNCATE ONLY ${table}`);
    return { actual: "allowed", detail: "TRUNCATE ran (rolled back)" };
  });
}

/**
 * Foreign keys from a tenant table to a tenant table (one whose rows carry the
 * same tenant column), with the values that point at tenant B's row: B's row
 * itself for a key to the same table, the parent B's seeded row refers to otherwise.
 */
export async function crossTenantReferences(
  seeder: Seeder,
  spec: TableSpec,
  shape: TableShape,
  rowB: Record<string, string>,
): Promise<{ via: string; values: Record<string, string> }[]> {
  const tenant = spec.tenantColumn;
  if (!tenant) return [];
  const out: { via: string; values: Record<string, string> }[] = [];
  for (const fk of shape.foreignKeys) {
    const parent = await seeder.shape(fk.parentSchema, fk.parentTable);
    if (!parent.columns.some((c) => c.name === tenant)) continue;
    const self = fk.parentSchema === spec.schema && fk.parentTable === spec.table;
    const values: Record<string, string> = {};
    fk.columns.forEach((c, i) => {
      if (c === tenant) return;
      const value = self ? rowB[fk.parentColumns[i]!] : rowB[c];
      if (value !== undefined && value !== null) values[c] = value;
    });
    if (Object.keys(values).length === 0) continue;
    out.push({
      via: `${fk.name} (${fk.columns.join(", ")}) → ${fk.parentSchema}.${fk.parentTable}`,
      values,
    });
  }
  return out;
}

/** Tenant A inserts a row of its own that points at B's row: RLS passes it, only the key can refuse. */
export async function runReferenceProbe(
  client: Queryable,
  spec: TableSpec,
  shape: TableShape,
  values: Record<string, string>,
  ids: SmokeIdentities,
  appRole: string,
): Promise<Pick<ProbeResult, "actual" | "detail">> {
  // 23503 foreign_key_violation: the composite key refused it; 42501: RLS or a grant did.
  return probeAs(
    client,
    roleOf("tenant_a", appRole),
    claimsFor("tenant_a", spec, ids, appRole),
    ["23503", "42501"],
    async () => {
      const { text, params } = insertSql(spec.schema, spec.table, shape, values, false);
      const result = await client.query(text, params);
      return {
        actual: result.rowCount === 1 ? "allowed" : "denied",
        detail: `${result.rowCount ?? 0} row(s) inserted pointing at tenant B's row`,
      };
    },
  );
}
