/**
 * `rls:drift` — what `pulumi up` would change in the database's row-level
 * security, per declared table, without the engine: the same comparison the
 * provider's diff makes. Read-only for every real table.
 */
import { closePools } from "../infra/postgres/client";
import { driftFindings, driftReport, driftSummary } from "../infra/rls/drift";
import { defineCommand, UsageError, type ArgSpecs } from "./lib/command";
import { runAsMain } from "./lib/main";
import { SCHEMAS_ARG, schemasOption } from "./lib/options";
import { rlsSettings } from "./lib/rls-settings";

const ARGS = {
  schemas: { ...SCHEMAS_ARG, description: "only the declared tables of these schemas" },
} as const satisfies ArgSpecs;

export const rlsDrift = defineCommand({
  name: "rls:drift",
  description: "What pulumi up would change in row-level security, per declared table, and why",
  help:
    "Compares the stack's RLS declarations with the live database: policies (command, mode, roles,\n" +
    "expressions as Postgres normalizes them), RLS and FORCE, and the API roles' table privileges.\n" +
    "Prints each difference and what up would do about it. Needs --stack; read-only for every real\n" +
    "table (declared expressions are normalized on temporary tables, rolled back).",
  shared: ["stack", "database-url", "json", "quiet"],
  args: ARGS,
  failOn: "high",
  cleanup: closePools,
  async run({ args, stack, database }) {
    if (!stack)
      throw new UsageError("rls:drift compares with a stack's declarations: pass --stack <name>");
    const schemas = schemasOption(args.schemas);
    const { database: db, tables } = rlsSettings(stack);
    const report = await driftReport({
      connectionString: database.connectionString,
      tables,
      schemas,
      lockTimeoutSeconds: db.lockTimeoutSeconds,
    });
    return {
      findings: driftFindings(report, stack.context.stack),
      report: { target: database.target, stack: stack.context.stack, ...report },
      text: [
        `RLS drift: ${database.target}  (${tables.length} declared table(s) from ${stack.context.stackFile}${
          schemas ? `, schemas ${schemas.join(", ")}` : ""
        })`,
      ],
      notes: report.tables.length > 0 ? [driftSummary(report)] : [],
    };
  },
});

runAsMain(module, rlsDrift);
