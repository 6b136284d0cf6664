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
 */
import { randomBytes, randomInt, randomUUID } from "node:crypto";
import { PostgresError, withConnection, type Queryable } from "../postgres/client";
import { tableKey, type TableSpec } from "./model";
import { apiRolesFor } from "./lint-catalog";
import {
  CannotSeedError,
  claimsFor,
  privilegeProbesFor,
  probesFor,
  referenceProbe,
  roleOf,
  seedValue,
  skipReason,
  type ColumnInfo,
  type Probe,
  type ProbeResult,
  type SeedRandom,
  type SmokeIdentities,
  type SmokeReport,
  type TableReport,
} from "./smoke-plan";
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

interface ForeignKey {
  name: string;
  columns: string[];
  parentSchema: string;
  parentTable: string;
  parentColumns: string[];
}

interface TableShape {
  columns: ColumnInfo[];
  foreignKeys: ForeignKey[];
}

const COLUMNS_SQL = `
select a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
       coalesce(bt.typcategory, t.typcategory) as category,
       coalesce(bt.typname, t.typname) as base_type,
       a.attnotnull as not_null,
       (a.atthasdef or a.attidentity <> '' or a.attgenerated <> '') as has_default,
       (a.attidentity = 'a' or a.attgenerated <> '') as generated_always,
       (select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e where e.enumtypid = coalesce(bt.oid, t.oid)) as enum_labels
from pg_attribute a
join pg_type t on t.oid = a.atttypid
left join pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped
order by a.attnum`;

const FOREIGN_KEYS_SQL = `
select con.conname as name,
       (select array_agg(a.attname::text order by k.i) from unnest(con.conkey) with ordinality k(n, i)
          join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n) as columns,
       pn.nspname as parent_schema, pc.relname as parent_table,
       (select array_agg(a.attname::text order by k.i) from unnest(con.confkey) with ordinality k(n, i)
          join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n) as parent_columns
from pg_constraint con
join pg_class pc on pc.oid = con.confrelid
join pg_namespace pn on pn.oid = pc.relnamespace
where con.conrelid = $1::regclass and con.contype = 'f'
order by con.conname`;

const random: SeedRandom = {
  uuid: () => randomUUID(),
  token: () => randomBytes(4).toString("hex"),
  int: () => randomInt(1, 30_000),
};

/** Writes seed rows as the connecting role, memoizing shapes and parent rows. */
class Seeder {
  private shapes = new Map<string, TableShape>();
  private parents = new Map<string, Record<string, string>>();

  constructor(
    private client: Queryable,
    private spec: TableSpec,
    private ids: SmokeIdentities,
  ) {}

  async shape(schema: string, table: string): Promise<TableShape> {
    const key = `${schema}.${table}`;
    const known = this.shapes.get(key);
    if (known) return known;
    const regclass = qualifiedTable({ schema, table });
    const columns = (await this.client.query(COLUMNS_SQL, [regclass])).rows.map((r) => ({
      name: r.name as string,
      type: r.type as string,
      category: r.category as string,
      baseType: r.base_type as string,
      notNull: r.not_null as boolean,
      hasDefault: r.has_default as boolean,
      generatedAlways: r.generated_always as boolean,
      enumLabels: (r.enum_labels as string[] | null) ?? null,
    }));
    const foreignKeys = (await this.client.query(FOREIGN_KEYS_SQL, [regclass])).rows.map((r) => ({
      name: r.name as string,
      columns: r.columns as string[],
      parentSchema: r.parent_schema as string,
      parentTable: r.parent_table as string,
      parentColumns: r.parent_columns as string[],
    }));
    const shape = { columns, foreignKeys };
    this.shapes.set(key, shape);
    return shape;
  }

  /** Column values (as text) for a new row of `owner`'s tenant; parents are inserted as needed. */
  async rowValues(
    schema: string,
    table: string,
    owner: "a" | "b",
    fixed: Record<string, string>,
    depth = 0,
  ): Promise<Record<string, string>> {
    if (depth > 6)
      throw new Error(
        `foreign keys from ${schema}.${table} nest deeper than 6 levels; cannot seed`,
      );
    const shape = await this.shape(schema, table);
    const tenant = owner === "a" ? this.ids.tenantA : this.ids.tenantB;
    const user = owner === "a" ? this.ids.userA : this.ids.userB;
    const values: Record<string, string> = { ...fixed };
    const has = (c: string) => shape.columns.some((col) => col.name === c);
    if (
      this.spec.tenantColumn &&
      has(this.spec.tenantColumn) &&
      values[this.spec.tenantColumn] === undefined
    )
      values[this.spec.tenantColumn] = tenant;
    if (
      depth === 0 &&
      this.spec.ownerColumn &&
      has(this.spec.ownerColumn) &&
      values[this.spec.ownerColumn] === undefined
    )
      values[this.spec.ownerColumn] = user;

    for (const fk of shape.foreignKeys) {
      const cols = fk.columns.map((c) => shape.columns.find((col) => col.name === c)!);
      const anyFixed = fk.columns.some((c) => values[c] !== undefined);
      const required = cols.some((c) => c.notNull && !c.hasDefault);
      if (!anyFixed && !required) continue;
      if (fk.parentSchema === schema && fk.parentTable === table && !anyFixed) {
        throw new Error(
          `${schema}.${table} has a NOT NULL foreign key to itself (${fk.columns.join(", ")}); cannot seed`,
        );
      }
      const parentFixed: Record<string, string> = {};
      fk.columns.forEach((c, i) => {
        if (values[c] !== undefined) parentFixed[fk.parentColumns[i]!] = values[c]!;
      });
      const parent = await this.ensureParent(fk, owner, parentFixed, depth);
      fk.columns.forEach((c, i) => {
        values[c] = parent[fk.parentColumns[i]!]!;
      });
    }
    for (const col of shape.columns) {
      if (values[col.name] !== undefined || col.generatedAlways || col.hasDefault || !col.notNull)
        continue;
      const value = seedValue(col, random);
      if (value === undefined) throw new CannotSeedError(`${schema}.${table}`, col);
      values[col.name] = value;
    }
    for (const col of shape.columns) if (col.generatedAlways) delete values[col.name];
    return values;
  }

  private async ensureParent(
    fk: ForeignKey,
    owner: "a" | "b",
    fixed: Record<string, string>,
    depth: number,
  ): Promise<Record<string, string>> {
    // Reuse a parent only when it is pinned (the tenant row itself): a fresh parent per child row
    // keeps keys like (tenant_id, user_id) unique across the seed and the INSERT probes.
    const key = `${fk.parentSchema}.${fk.parentTable}|${owner}|${JSON.stringify(fixed)}`;
    const pinned = Object.keys(fixed).length > 0;
    const known = pinned ? this.parents.get(key) : undefined;
    if (known) return known;
    const fixedCols = Object.keys(fixed);
    if (fixedCols.length === fk.parentColumns.length) {
      const shape = await this.shape(fk.parentSchema, fk.parentTable);
      const where = fixedCols
        .map((c, i) => `${quoteIdent(c)} = $${i + 1}::${typeOf(shape, c)}`)
        .join(" and ");
      const found = await this.client.query(
        `select ${rowAsText("p")} as row from ${qualifiedTable({ schema: fk.parentSchema, table: fk.parentTable })} p where ${where} limit 1`,
        fixedCols.map((c) => fixed[c]),
      );
      if (found.rows[0]) {
        const row = JSON.parse(found.rows[0].row as string) as Record<string, string>;
        this.parents.set(key, row);
        return row;
      }
    }
    const values = await this.rowValues(fk.parentSchema, fk.parentTable, owner, fixed, depth + 1);
    const row = await this.insert(fk.parentSchema, fk.parentTable, values);
    this.parents.set(key, row);
    return row;
  }

  /** INSERT as the current role; returns the row as text values plus its ctid. */
  async insert(
    schema: string,
    table: string,
    values: Record<string, string>,
  ): Promise<Record<string, string>> {
    const shape = await this.shape(schema, table);
    const { text, params } = insertSql(schema, table, shape, values, true);
    const result = await this.client.query(text, params);
    const row = JSON.parse(result.rows[0].row as string) as Record<string, string>;
    return { ...row, __ctid: result.rows[0].ctid as string };
  }
}

function typeOf(shape: TableShape, column: string): string {
  const col = shape.columns.find((c) => c.name === column);
  if (!col) throw new Error(`column ${column} not found`);
  return col.type;
}

/** Every column as text, so values can be passed back with a cast. */
function rowAsText(alias: string): string {
  return `(select json_object_agg(key, value) from json_each_text(row_to_json(${alias})))::text`;
}

function insertSql(
  schema: string,
  table: string,
  shape: TableShape,
  values: Record<string, string>,
  returning: boolean,
): { text: string; params: string[] } {
  const cols = Object.keys(values);
  const target = `${qualifiedTable({ schema, table })} as seeded`;
  const body =
    cols.length === 0
      ? `insert into ${target} default values`
      : `insert into ${target} (${cols.map(quoteIdent).join(", ")}) values (${cols.map((c, i) => `$${i + 1}::${typeOf(shape, c)}`).join(", ")})`;
  return {
    text: returning
      ? `${body} returning seeded.ctid::text as ctid, ${rowAsText("seeded")} as row`
      : body,
    params: cols.map((c) => values[c]!),
  };
}

/** Can the connecting role write past RLS? If not, can it become service_role, which can? */
async function seedingRole(client: Queryable): Promise<string | undefined> {
  const { rows } = await client.query(
    `select (select rolsuper or rolbypassrls from pg_roles where rolname = current_user) as bypasses,
            exists (select 1 from pg_roles r where r.rolname = 'service_role' and r.rolbypassrls
                    and pg_has_role(current_user, r.oid, 'MEMBER')) as via_service_role`,
  );
  const row = rows[0] as { bypasses: boolean; via_service_role: boolean };
  if (row.bypasses) return "";
  if (row.via_service_role) return "service_role";
  return undefined;
}

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

async function runProbe(
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

function firstLine(message: string): string {
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
async function runPrivilegeProbe(
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
async function crossTenantReferences(
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
async function runReferenceProbe(
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
