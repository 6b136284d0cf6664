/**
 * `rls:import`: declarations for the tables a database already has, exactly
 * as they are — RLS flags, every policy as Postgres prints it, the API roles'
 * table privileges — so the first `pulumi up` after pasting them changes
 * nothing: the provider's create finds each table already as declared,
 * without a lock and without DDL. No team starts with an empty database.
 *
 * Two things are printed as they will be, not as they are, and each says so
 * in a comment: an `auth.*()` or `current_setting()` call evaluated per row
 * (declarations always wrap it in `(select …)`, so up alters that policy in
 * place, same meaning) and a policy with neither USING nor WITH CHECK (which
 * a declaration cannot express; up would drop it).
 */
import { stringify } from "yaml";
import { withConnection } from "../postgres/client";
import { PLAIN_IDENTIFIER } from "../postgres/identifiers";
import { readCatalogSnapshot, type LivePolicy } from "./catalog";
import { analyzeExpression } from "./expressions";
import { managedGrantees, type Privilege } from "./privileges";

export interface ImportOptions {
  connectionString: string;
  /** Schemas whose tables to declare (`--schemas a,b`). */
  schemas: readonly string[];
  format: "yaml" | "ts";
  /** The stack's app role (runbooks:database.appRole); its privileges are declared too. */
  appRole?: string;
}

/** One table as runbooks:rls.tables takes it (also the TableDeclaration shape, minus helpers). */
export interface ImportedTable {
  schema: string;
  table: string;
  enabled: boolean;
  force: boolean;
  policies: {
    name: string;
    command: string;
    mode: string;
    roles: string[];
    using?: string;
    withCheck?: string;
  }[];
  privileges: Record<string, Privilege[]>;
}

export interface ImportResult {
  text: string;
  tables: ImportedTable[];
  /** Per `schema.table`: what the first up will still change, or why YAML cannot hold it. */
  notes: Map<string, string[]>;
}

async function declaredPolicy(p: LivePolicy, notes: string[]) {
  const out: ImportedTable["policies"][number] = {
    name: p.name,
    command: p.command,
    mode: p.mode,
    roles: p.roles,
  };
  for (const clause of ["using", "withCheck"] as const) {
    const expression = p[clause];
    if (expression === null) continue;
    const { wrapped } = await analyzeExpression(expression);
    if (wrapped !== expression)
      notes.push(
        `policy ${p.name} evaluates an auth.*() or current_setting() call per row; declared wrapped in (select …), so the first up alters it in place (same meaning)`,
      );
    out[clause] = wrapped;
  }
  if (p.using === null && p.withCheck === null)
    notes.push(
      `policy ${p.name} has neither USING nor WITH CHECK, which a declaration cannot hold; the first up would drop it`,
    );
  return out;
}

export async function importDeclarations(options: ImportOptions): Promise<ImportResult> {
  const grantees = managedGrantees(options.appRole ?? "authenticated");
  const snapshot = await withConnection(
    { connectionString: options.connectionString, applicationName: "runbooks-rls-import" },
    "read the catalog for rls:import",
    (client) => readCatalogSnapshot(client, [...options.schemas]),
  );
  const tables: ImportedTable[] = [];
  const notes = new Map<string, string[]>();
  for (const key of [...snapshot.tables.keys()].sort()) {
    const live = snapshot.tables.get(key)!;
    const dot = key.indexOf(".");
    const [schema, table] = [key.slice(0, dot), key.slice(dot + 1)];
    const tableNotes: string[] = [];
    if (!live.enabled)
      tableNotes.push("row level security is OFF: declared as it is, and rls:lint reports it");
    const policies = [];
    for (const p of live.policies) {
      const declared = await declaredPolicy(p, tableNotes);
      if (declared.using !== undefined || declared.withCheck !== undefined) policies.push(declared);
    }
    tables.push({
      schema,
      table,
      enabled: live.enabled,
      force: live.force,
      policies,
      privileges: Object.fromEntries(grantees.map((g) => [g, live.privileges?.[g] ?? []])),
    });
    if (tableNotes.length > 0) notes.set(key, tableNotes);
  }
  const text = options.format === "ts" ? asTypeScript(tables, notes) : asYaml(tables, notes);
  return { text, tables, notes };
}

function header(tables: ImportedTable[]): string[] {
  return [
    `rls:import: ${tables.length} table(s), as the database has them now.`,
    "The first pulumi up after adding them changes nothing (see the notes where it will).",
    "Tenant tables: add tenantColumn / tenantClaim metadata by switching to the helper, so",
    "rls:lint and rls:smoke know what isolation to prove.",
  ];
}

function asYaml(tables: ImportedTable[], notes: Map<string, string[]>): string {
  const lines = header(tables).map((l) => `# ${l}`);
  lines.push("runbooks:rls:", "  tables:");
  for (const t of tables) {
    const key = `${t.schema}.${t.table}`;
    for (const note of notes.get(key) ?? []) lines.push(`    # ${key}: ${note}`);
    if (!PLAIN_IDENTIFIER.test(t.schema) || !PLAIN_IDENTIFIER.test(t.table)) {
      lines.push(
        `    # ${key}: the stack file takes lower-case names only; declare this table with --format ts`,
      );
      continue;
    }
    const entry = stringify([t], { lineWidth: 0 }).trimEnd();
    lines.push(...entry.split("\n").map((l) => `    ${l}`));
  }
  return `${lines.join("\n")}\n`;
}

function asTypeScript(tables: ImportedTable[], notes: Map<string, string[]>): string {
  const lines = header(tables).map((l) => `// ${l}`);
  lines.push(
    "// Paste into RLS_TABLES_IN_CODE (infra/rls/deploy.ts) under the stack's name.",
    "export const IMPORTED_RLS_TABLES: TableDeclaration[] = [",
  );
  for (const t of tables) {
    const key = `${t.schema}.${t.table}`;
    for (const note of notes.get(key) ?? []) lines.push(`  // ${key}: ${note}`);
    const body = JSON.stringify(t, null, 2).split("\n");
    lines.push(...body.map((l, i) => `  ${l}${i === body.length - 1 ? "," : ""}`));
  }
  lines.push("];");
  return `${lines.join("\n")}\n`;
}
