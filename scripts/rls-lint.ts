/** `rls:lint` — the live database's row-level security against the declared set. */
import { closePools, withConnection } from "../infra/postgres/client";
import { readLintCatalog } from "../infra/rls/lint-catalog";
import { lintRls } from "../infra/rls/lints/index";
import { tableKey } from "../infra/rls/model";
import { defineCommand, type ArgSpecs } from "./lib/command";
import { runAsMain } from "./lib/main";
import { rlsSettings } from "./lib/rls-settings";

const ARGS = {
  strict: {
    type: "boolean",
    description: "medium findings fail too (by default only high and above)",
  },
} as const satisfies ArgSpecs;

export const rlsLint = defineCommand({
  name: "rls:lint",
  description:
    "Lint row-level security: tables without RLS, bypassing roles, leaky policies, drift",
  help:
    "Checks the live database against the declared set: tables without RLS, RLS not forced, BYPASSRLS\n" +
    "roles, USING (true) on tenant tables, auth.uid() evaluated per row, locked-out tables, SECURITY\n" +
    "DEFINER views and functions, overlapping permissive policies, drift. Each finding has a fix.",
  shared: ["stack", "database-url", "json", "quiet"],
  args: ARGS,
  failOn: (args) => (args.strict ? "medium" : "high"),
  cleanup: closePools,
  async run({ stack, database }) {
    const { database: db, tables, declarationsHint } = rlsSettings(stack);
    const settings = {
      exposedSchemas: db.exposedSchemas,
      appRole: db.appRole,
      bypassRlsAllowed: db.bypassRlsAllowed,
      declarationsHint,
    };
    const catalog = await withConnection(
      { connectionString: database.connectionString, applicationName: "runbooks-rls-lint" },
      "read the catalog for rls:lint",
      (client) =>
        readLintCatalog(client, { ...settings, declaredSchemas: tables.map((t) => t.schema) }),
    );
    const findings = await lintRls(catalog, tables, settings);
    const declared = tables.map(tableKey);
    return {
      findings,
      report: { target: database.target, stack: stack?.context.stack, declared, settings },
      text: [
        `RLS lint: ${database.target}  (${
          stack
            ? `${declared.length} declared table(s) from ${stack.context.stackFile}`
            : "no declarations: pass --stack <name> to check drift too"
        })`,
      ],
    };
  },
});

runAsMain(module, rlsLint);
