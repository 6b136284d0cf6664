/**
 * `rls:import` on a schema whose RLS came from migrations, with the
 * expressions real projects write (EXISTS subqueries, a helper function in
 * its own schema, auth.jwt() -> 'app_metadata', casts, a trailing comment, a
 * restrictive policy, a name with spaces, explicit grants): the declarations
 * it prints, checked and created by the provider as the first `up` would,
 * issue no DDL and leave every policy, flag and grant as it was. The YAML and
 * the TypeScript forms declare the same tables.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { rlsSchema } from "../../../infra/config/index";
import { closePools } from "../../../infra/postgres/client";
import { importDeclarations } from "../../../infra/rls/import";
import {
  declareTable,
  tableFromConfig,
  type TableDeclaration,
  type TableSpec,
} from "../../../infra/rls/model";
import { rlsImport } from "../../../scripts/rls-import";
import { readStatementStats, resetStatementStats } from "../../support/statement-stats";
import { runScript } from "../checks/helpers";
import { CRM_MIGRATION } from "./fixtures/crm-migration";
import { appDatabase, createTable, freshProvider, inputsFor, type TestDatabase } from "./helpers";

let db: TestDatabase;

/** What a database says about a schema's RLS, to compare before and after. */
async function rlsOf(schema: string) {
  return db.sql(
    `select c.relname, c.relrowsecurity, c.relforcerowsecurity, c.relacl::text,
            (select json_agg(json_build_object('oid', p.oid, 'name', p.polname, 'q', pg_get_expr(p.polqual, p.polrelid),
                                               'c', pg_get_expr(p.polwithcheck, p.polrelid)) order by p.polname)
             from pg_policy p where p.polrelid = c.oid) as policies
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relkind = 'r' order by c.relname`,
    [schema],
  );
}

beforeAll(async () => {
  db = await appDatabase("rls_import");
  await db.sql(CRM_MIGRATION);
});

afterAll(async () => {
  await closePools();
  await db?.drop();
});

describe("rls:import", () => {
  it("prints declarations whose first up issues no DDL and changes nothing", async () => {
    const { text, notes } = await importDeclarations({
      connectionString: db.url,
      schemas: ["crm"],
      format: "yaml",
    });
    expect(notes.size).toBe(0);
    const doc = parseYaml(text) as Record<string, unknown>;
    const specs = rlsSchema.parse(doc["runbooks:rls"]).tables.map((t) => tableFromConfig(t));
    expect(specs.map((s) => `${s.schema}.${s.table}`)).toEqual(["crm.accounts", "crm.memberships"]);
    expect(specs[0]!.privileges).toEqual({
      anon: [],
      authenticated: ["SELECT", "INSERT", "UPDATE", "DELETE"],
      public: [],
    });

    const before = await rlsOf("crm");
    await resetStatementStats(db.sql);
    const provider = freshProvider();
    for (const spec of specs)
      await createTable(provider, inputsFor(spec, db.url, { catalogSchemas: ["crm"] }));
    const stats = await readStatementStats(db.sql);
    expect(stats.ddl).toEqual([]);
    expect(await rlsOf("crm")).toEqual(before);
  });

  it("the TypeScript form declares the same tables", async () => {
    const yaml = await importDeclarations({
      connectionString: db.url,
      schemas: ["crm"],
      format: "yaml",
    });
    const ts = await importDeclarations({
      connectionString: db.url,
      schemas: ["crm"],
      format: "ts",
    });
    const literal = ts.text
      .split("\n")
      .filter((l) => !l.trimStart().startsWith("//"))
      .join("\n")
      .replace("export const IMPORTED_RLS_TABLES: TableDeclaration[] = ", "")
      .replace(/,\n\];\n$/, "]")
      .replace(/;\n?$/, "");
    const fromTs = (JSON.parse(literal) as TableDeclaration[]).map((t) => declareTable(t));
    const fromYaml: TableSpec[] = rlsSchema
      .parse((parseYaml(yaml.text) as Record<string, unknown>)["runbooks:rls"])
      .tables.map((t) => tableFromConfig(t));
    expect(fromTs).toEqual(fromYaml);
  });

  it("says which tables the first up will still change, and why", async () => {
    await db.sql(`
      create table crm.legacy (id int primary key, owner_id uuid);
      alter table crm.legacy enable row level security;
      create policy legacy_owner on crm.legacy for select to authenticated using (owner_id = auth.uid());
      create table crm.open (id int primary key);`);
    const { notes, text } = await importDeclarations({
      connectionString: db.url,
      schemas: ["crm"],
      format: "yaml",
    });
    expect(notes.get("crm.legacy")).toEqual([
      "policy legacy_owner evaluates an auth.*() or current_setting() call per row; declared wrapped in (select …), so the first up alters it in place (same meaning)",
    ]);
    expect(notes.get("crm.open")).toEqual([
      "row level security is OFF: declared as it is, and rls:lint reports it",
    ]);
    expect(text).toContain("using: (owner_id = (select auth.uid()))");
  });

  it("npm run rls:import prints YAML or TypeScript, writes a new file, and refuses a bad --format", async () => {
    const script = async (args: string[]) => {
      const r = await runScript(rlsImport, args, { env: { DATABASE_URL: db.url } });
      return { status: r.code, stdout: r.stdout, stderr: r.stderr };
    };
    const yaml = await script(["--schemas", "crm"]);
    expect(yaml.status).toBe(0);
    expect(yaml.stdout).toContain(
      "runbooks:rls:\n  tables:\n    - schema: crm\n      table: accounts",
    );
    const ts = await script(["--schemas", "crm", "--format", "ts"]);
    expect(ts.status).toBe(0);
    expect(ts.stdout).toContain("export const IMPORTED_RLS_TABLES: TableDeclaration[] = [");
    const bad = await script(["--format", "toml"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--format must be yaml or ts");
    const json = await script(["--schemas", "crm", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      command: "rls:import",
      ok: true,
      report: {
        schemas: ["crm"],
        tables: expect.arrayContaining([expect.objectContaining({ table: "accounts" })]),
      },
    });

    const dir = mkdtempSync(join(tmpdir(), "rls-import-"));
    try {
      const file = join(dir, "rls.yaml");
      const written = await script(["--schemas", "crm", "--output", file]);
      expect(written.status).toBe(0);
      expect(written.stdout).toContain(`written to ${file}`);
      expect(readFileSync(file, "utf8")).toContain("runbooks:rls:\n  tables:");
      // Never over an existing file: a second import must not replace what the first wrote.
      const again = await script(["--schemas", "crm", "--format", "ts", "--output", file]);
      expect(again.status).toBe(2);
      expect(again.stderr).toContain("already exists");
      expect(readFileSync(file, "utf8")).toContain("runbooks:rls:\n  tables:");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(yaml.stdout + yaml.stderr + bad.stderr + json.stdout).not.toContain(
      decodeURIComponent(new URL(db.url).password),
    );
  });
});
