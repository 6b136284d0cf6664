/** `rls:lint` — the live database's row-level security against the declared set. */
import { closePools } from "../infra/postgres/client";
import { lintDatabase } from "../infra/rls/lint-run";
import { tableKey } from "../infra/rls/model";
import { defineCommand, type ArgSpecs } from "./lib/command";
import { runAsMain } from "./lib/main";
import { SCHEMAS_ARG, schemasOption } from "./lib/options";
import { rlsSettings } from "./lib/rls-settings";

const ARGS = {
  schemas: {
    ...SCHEMAS_ARG,
    description:
      "the schemas the API exposes (default: runbooks:database.exposedSchemas, or public; PostgREST's pgrst.db_schemas is always added)",
  },
  "tenant-column": {
    type: "string",
    valueHint: "name",
    default: "tenant_id",
    description:
      "undeclared tables with this column are tenant tables (tenant and foreign-key rules)",
  },
  strict: {
    type: "boolean",
    description: "medium findings fail too (by default only high and above)",
  },
} as const satisfies ArgSpecs;

export const rlsLint = defineCommand({
  name: "rls:lint",
  description:
    "Lint row-level security: tables without RLS, bypassing roles and privileges, leaky policies, drift",
  help:
    "Checks the live database against the declared set, at least as strictly as Supabase's security\n" +
    "advisor: tables without RLS, RLS not forced, BYPASSRLS roles, always-true policies for API roles,\n" +
    "auth.*() and current_setting() evaluated per row, user_metadata in policies, TRUNCATE/TRIGGER/\n" +
    "REFERENCES granted to API roles, tenant foreign keys without the tenant column, SECURITY DEFINER\n" +
    "views and functions (and their search_path), overlapping permissive policies, and drift of\n" +
    "expressions, roles, commands, modes and privileges. Each finding has a fix. Read-only.",
  shared: ["stack", "database-url", "json", "quiet"],
  args: ARGS,
  failOn: (args) => (args.strict ? "medium" : "high"),
  cleanup: closePools,
  async run({ args, stack, database }) {
    const { database: db, tables, declarationsHint } = rlsSettings(stack);
    const { findings, exposedSchemas } = await lintDatabase({
      connectionString: database.connectionString,
      tables,
      database: db,
      schemas: schemasOption(args.schemas),
      declarationsHint,
      tenantColumn: args["tenant-column"],
    });
    const declared = tables.map(tableKey);
    const settings = {
      exposedSchemas,
      appRole: db.appRole,
      bypassRlsAllowed: db.bypassRlsAllowed,
      declarationsHint,
    };
    return {
      findings,
      report: { target: database.target, stack: stack?.context.stack, declared, settings },
      text: [
        `RLS lint: ${database.target}  (schemas ${exposedSchemas.join(", ")}; ${
          stack
            ? `${declared.length} declared table(s) from ${stack.context.stackFile}`
            : "no declarations: pass --stack <name> to check drift too"
        })`,
      ],
    };
  },
});

runAsMain(module, rlsLint);
