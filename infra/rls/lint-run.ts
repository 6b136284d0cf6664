/**
 * `rls:lint` as one function, for whichever command front-end calls it: read
 * the catalog (and normalize the declared expressions) on one connection,
 * then run every rule. Safe on production: one read query and one
 * transaction that only creates temporary tables and is always rolled back.
 */
import type { DatabaseConfig } from "../config/index";
import type { Finding } from "../lib/findings";
import { withConnection } from "../postgres/client";
import { readLintCatalog } from "./lint-catalog";
import { lintRls } from "./lints/index";
import type { TableSpec } from "./model";

export interface RlsLintOptions {
  connectionString: string;
  /** The stack's declared tables; empty without a stack. */
  tables: readonly TableSpec[];
  database: Pick<DatabaseConfig, "exposedSchemas" | "appRole" | "bypassRlsAllowed">;
  /**
   * `--schemas a,b`: the schemas the API exposes, replacing
   * runbooks:database.exposedSchemas (PostgREST's pgrst.db_schemas, when the
   * database has it, is always added).
   */
  schemas?: readonly string[];
  /** Where a fix should change the declarations. */
  declarationsHint?: string;
  /** For undeclared tables: the column that makes a table tenant-scoped. Default `tenant_id`. */
  tenantColumn?: string;
}

export interface RlsLintReport {
  findings: Finding[];
  /** The schemas treated as exposed. */
  exposedSchemas: string[];
}

export async function lintDatabase(options: RlsLintOptions): Promise<RlsLintReport> {
  const exposedSchemas = [...(options.schemas ?? options.database.exposedSchemas)];
  const settings = {
    exposedSchemas,
    appRole: options.database.appRole,
    bypassRlsAllowed: options.database.bypassRlsAllowed,
    declarationsHint: options.declarationsHint,
    tenantColumn: options.tenantColumn,
  };
  const catalog = await withConnection(
    { connectionString: options.connectionString, applicationName: "runbooks-rls-lint" },
    "read the catalog for rls:lint",
    (client) => readLintCatalog(client, { ...settings, declared: options.tables }),
  );
  const findings = await lintRls(catalog, options.tables, settings);
  return {
    findings,
    exposedSchemas: [...new Set([...exposedSchemas, ...(catalog.apiSchemas ?? [])])],
  };
}
