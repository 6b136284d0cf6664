/**
 * `rls:smoke`: prove tenant isolation on a real connection, as the real roles.
 *
 * For every declared table with a stated isolation (tenant column, owner
 * column, public read) one transaction:
 *   - seeds a row for tenant A and one for tenant B as the connecting role
 *     (which must bypass RLS: superuser, BYPASSRLS, or via service_role),
 *     creating parent rows for NOT NULL foreign keys on the way;
 *   - runs each probe in a savepoint as the actor: `SET LOCAL ROLE` plus
 *     `set_config('request.jwt.claims', …, true)`, exactly what PostgREST does;
 *   - rolls the savepoint back after each probe and the transaction at the end.
 * Nothing is ever committed, so it is safe against production. (Sequences
 * advance: nextval is not transactional.)
 *
 * Seeding lives in smoke-seed.ts, the probes in smoke-probes.ts, what each
 * probe should do in smoke-plan.ts; this module runs them table by table.
 */
import { randomUUID } from "node:crypto";
import { withConnection, type Queryable } from "../postgres/client";
import { tableKey, type TableSpec } from "./model";
import { apiRolesFor } from "./lint-catalog";
import {
  privilegeProbesFor,
  probesFor,
  referenceProbe,
  seedValue,
  skipReason,
  type ProbeResult,
  type SmokeIdentities,
  type SmokeReport,
  type TableReport,
} from "./smoke-plan";
import {
  crossTenantReferences,
  firstLine,
  runPrivilegeProbe,
  runProbe,
  runReferenceProbe,
} from "./smoke-probes";
import { random, Seeder, seedingRole } from "./smoke-seed";
import { qualifiedTable, quoteIdent } from "./sql";

export interface SmokeOptions {
  connectionString: string;
  tables: TableSpec[];
  /** The role authenticated users run as (runbooks:database.appRole). */
  appRole: string;
  /** Per-statement ceiling, so a smoke run never wedges production. */
  statementTimeoutSeconds?: number;
  /**
   * Roles whose TRUNCATE, TRIGGER and REFERENCES must be refused. Default:
   * `anon`, `authenticated` and the app role.
   */
  apiRoles?: string[];
}

async function smokeTable(
  client: Queryable,
  spec: TableSpec,
  appRole: string,
  apiRoles: string[],
  statementTimeoutSeconds: number,
): Promise<TableReport> {
  const table = tableKey(spec);
  const ids: SmokeIdentities = {
    tenantA: randomUUID(),
    tenantB: randomUUID(),
    userA: randomUUID(),
    userB: randomUUID(),
  };
  await client.query("BEGIN");
  try {
    await client.query(
      `SET LOCAL statement_timeout = '${Math.round(statementTimeoutSeconds * 1000)}ms'`,
    );
    await client.query("SET LOCAL lock_timeout = '5s'");
    const exists = await client.query("select to_regclass($1) is not null as ok", [
      qualifiedTable(spec),
    ]);
    if (!(exists.rows[0] as { ok: boolean }).ok)
      return { table, status: "error", reason: "table does not exist", probes: [] };
    const seeder = new Seeder(client, spec, ids);
    const shape = await seeder.shape(spec.schema, spec.table);
    const tenantColumn = spec.tenantColumn
      ? shape.columns.find((c) => c.name === spec.tenantColumn)
      : undefined;
    if (spec.tenantColumn && !tenantColumn)
      return {
        table,
        status: "error",
        reason: `tenant column ${spec.tenantColumn} does not exist`,
        probes: [],
      };
    if (tenantColumn && tenantColumn.baseType !== "uuid") {
      // The helper casts the claim to the column type; give tenants ids of that type.
      ids.tenantA = seedValue(tenantColumn, random) ?? ids.tenantA;
      ids.tenantB = seedValue(tenantColumn, random) ?? ids.tenantB;
    }
    const seedRole = await seedingRole(client);
    if (seedRole === undefined) {
      return {
        table,
        status: "error",
        reason:
          "the connecting role cannot write past RLS to seed rows: connect as a superuser or a BYPASSRLS role, or as a member of service_role",
        probes: [],
      };
    }
    if (seedRole) await client.query(`SET LOCAL ROLE ${quoteIdent(seedRole)}`);
    const rows = {
      a: await seeder.insert(
        spec.schema,
        spec.table,
        await seeder.rowValues(spec.schema, spec.table, "a", {}),
      ),
      b: await seeder.insert(
        spec.schema,
        spec.table,
        await seeder.rowValues(spec.schema, spec.table, "b", {}),
      ),
    };
    const inserts = {
      a: await seeder.rowValues(spec.schema, spec.table, "a", {}),
      b: await seeder.rowValues(spec.schema, spec.table, "b", {}),
    };
    const probes: ProbeResult[] = [];
    for (const probe of probesFor(spec)) {
      const { actual, detail } = await runProbe(
        client,
        spec,
        shape,
        probe,
        rows,
        inserts,
        ids,
        appRole,
      );
      probes.push({ ...probe, table, actual, detail, ok: actual === probe.expected });
    }
    for (const probe of privilegeProbesFor(apiRoles)) {
      const { actual, detail } = await runPrivilegeProbe(client, spec, probe);
      probes.push({ ...probe, table, actual, detail, ok: actual === probe.expected });
    }
    for (const { via, values } of await crossTenantReferences(seeder, spec, shape, rows.b)) {
      const probe = referenceProbe(via);
      const { actual, detail } = await runReferenceProbe(
        client,
        spec,
        shape,
        { ...inserts.a, ...values },
        ids,
        appRole,
      );
      probes.push({ ...probe, table, actual, detail, ok: actual === probe.expected });
    }
    return { table, status: "checked", probes };
  } catch (error) {
    return {
      table,
      status: "error",
      reason: firstLine(error instanceof Error ? error.message : String(error)),
      probes: [],
    };
  } finally {
    await client.query("ROLLBACK").catch(() => undefined);
  }
}

/** Run the smoke test over the declared tables. Never commits. */
export async function runSmoke(options: SmokeOptions): Promise<SmokeReport> {
  const tables: TableReport[] = [];
  await withConnection(
    { connectionString: options.connectionString, applicationName: "runbooks-rls-smoke" },
    "rls:smoke",
    async (client) => {
      for (const spec of options.tables) {
        const reason = skipReason(spec);
        if (reason) {
          tables.push({ table: tableKey(spec), status: "skipped", reason, probes: [] });
          continue;
        }
        tables.push(
          await smokeTable(
            client,
            spec,
            options.appRole,
            options.apiRoles ?? apiRolesFor(options.appRole),
            options.statementTimeoutSeconds ?? 15,
          ),
        );
      }
    },
  );
  const mismatches = tables.flatMap((t) => t.probes.filter((p) => !p.ok));
  const couldNotCheck = tables.filter((t) => t.status === "error").map((t) => t.table);
  return {
    ok: mismatches.length === 0 && couldNotCheck.length === 0,
    tables,
    mismatches,
    couldNotCheck,
  };
}

/**
 * Without declarations: every RLS-enabled table of the exposed schemas that
 * has the tenant column is treated as tenant-scoped by that column and claim.
 */
export async function discoverTenantTables(
  connectionString: string,
  options: { schemas: string[]; tenantColumn: string; tenantClaim: string },
): Promise<TableSpec[]> {
  return withConnection(
    { connectionString, applicationName: "runbooks-rls-smoke" },
    "find tenant tables",
    async (client) => {
      const { rows } = await client.query(
        `select n.nspname as schema, c.relname as table, c.relforcerowsecurity as force
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind in ('r', 'p') and c.relrowsecurity and n.nspname = any($1::text[])
         and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = $2 and not a.attisdropped)
       order by 1, 2`,
        [options.schemas, options.tenantColumn],
      );
      return (rows as { schema: string; table: string; force: boolean }[]).map((r) => ({
        schema: r.schema,
        table: r.table,
        enabled: true,
        force: r.force,
        policies: [],
        tenantColumn: options.tenantColumn,
        tenantClaim: options.tenantClaim,
        ownerColumn: null,
        publicRead: false,
        // Discovered tables are smoke-tested, never applied: no privileges to declare.
        privileges: {},
      }));
    },
  );
}

/**
 * Which tables `rls:smoke` checks: the stack's declared tables (only those of
 * `schemas` when `--schemas` is given), or without a stack the RLS tables of
 * `schemas` (default: the exposed schemas) that have the tenant column. `only`
 * (`--table schema.table`) narrows to one; an empty result is the caller's to
 * report.
 */
export async function selectSmokeTables(options: {
  connectionString: string;
  /** The stack's declared tables; undefined without a stack. */
  declared?: readonly TableSpec[];
  /** `--schemas a,b`. */
  schemas?: readonly string[];
  /** runbooks:database.exposedSchemas: where to discover tables without a stack. */
  exposedSchemas: readonly string[];
  tenantColumn?: string;
  tenantClaim?: string;
  only?: string;
}): Promise<TableSpec[]> {
  const inSchemas = (t: TableSpec) => !options.schemas || options.schemas.includes(t.schema);
  const tables = options.declared
    ? options.declared.filter(inSchemas)
    : await discoverTenantTables(options.connectionString, {
        schemas: [...(options.schemas ?? options.exposedSchemas)],
        tenantColumn: options.tenantColumn ?? "tenant_id",
        tenantClaim: options.tenantClaim ?? "tenant_id",
      });
  return options.only ? tables.filter((t) => tableKey(t) === options.only) : [...tables];
}
