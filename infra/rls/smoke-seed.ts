/**
 * `rls:smoke` seeding: writing one row per tenant as the connecting role.
 *
 * Kept apart from the probes because it is the part that must bypass RLS
 * (superuser, BYPASSRLS or service_role) and the part that reads the catalog:
 * column types, defaults and foreign keys decide what a valid row is, and a
 * NOT NULL foreign key means a parent row has to be seeded first. The probes
 * reuse `insertSql` so an INSERT probe writes exactly the row the seeder would.
 */
import { randomBytes, randomInt, randomUUID } from "node:crypto";
import type { Queryable } from "../postgres/client";
import type { TableSpec } from "./model";
import {
  CannotSeedError,
  seedValue,
  type ColumnInfo,
  type SeedRandom,
  type SmokeIdentities,
} from "./smoke-plan";
import { qualifiedTable, quoteIdent } from "./sql";

interface ForeignKey {
  name: string;
  columns: string[];
  parentSchema: string;
  parentTable: string;
  parentColumns: string[];
}

export interface TableShape {
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

export const random: SeedRandom = {
  uuid: () => randomUUID(),
  token: () => randomBytes(4).toString("hex"),
  int: () => randomInt(1, 30_000),
};

/** Writes seed rows as the connecting role, memoizing shapes and parent rows. */
export class Seeder {
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

export function insertSql(
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
export async function seedingRole(client: Queryable): Promise<string | undefined> {
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
