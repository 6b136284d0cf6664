/** `rls:smoke` — prove tenant isolation as the real roles, in transactions that are always rolled back. */
import { closePools } from "../infra/postgres/client";
import { runSmoke, selectSmokeTables } from "../infra/rls/smoke";
import { smokeFindings } from "../infra/rls/smoke-findings";
import { renderMatrix } from "../infra/rls/smoke-plan";
import { defineCommand, UsageError, type ArgSpecs } from "./lib/command";
import { runAsMain } from "./lib/main";
import { SCHEMAS_ARG, schemasOption } from "./lib/options";
import { rlsSettings } from "./lib/rls-settings";

const ARGS = {
  "tenant-column": {
    type: "string",
    valueHint: "name",
    default: "tenant_id",
    description: "without --stack: RLS tables with this column are tenant tables",
  },
  "tenant-claim": {
    type: "string",
    valueHint: "path",
    default: "tenant_id",
    description: "without --stack: the JWT claim holding the tenant id",
  },
  schemas: {
    ...SCHEMAS_ARG,
    description:
      "only the tables of these schemas (without --stack: where tenant tables are discovered; default the exposed schemas)",
  },
  table: { type: "string", valueHint: "schema.table", description: "only this table" },
} as const satisfies ArgSpecs;

export const rlsSmoke = defineCommand({
  name: "rls:smoke",
  description: "Prove tenant isolation as anon, two tenants and service_role; nothing is committed",
  help:
    "Impersonates anon, two authenticated users in two tenants, and service_role (SET ROLE +\n" +
    "request.jwt.claims, as PostgREST does) and checks SELECT, INSERT, UPDATE and DELETE on every\n" +
    "declared tenant table; that TRUNCATE, TRIGGER and REFERENCES are refused to every API role; and\n" +
    "that tenant A cannot point a foreign key at tenant B's row. Seed rows are rolled back: safe on\n" +
    "production (sequences still advance).\n" +
    "Connect as a role that can bypass RLS to seed (e.g. postgres).",
  shared: ["stack", "database-url", "json", "quiet"],
  args: ARGS,
  cleanup: closePools,
  async run({ args, stack, database }) {
    const { database: db, tables: declared } = rlsSettings(stack);
    const tables = await selectSmokeTables({
      connectionString: database.connectionString,
      declared: stack ? declared : undefined,
      schemas: schemasOption(args.schemas),
      exposedSchemas: db.exposedSchemas,
      tenantColumn: args["tenant-column"],
      tenantClaim: args["tenant-claim"],
      only: args.table,
    });
    if (args.table !== undefined && tables.length === 0)
      throw new UsageError(
        `--table ${args.table} is not among the declared (or discovered) tables`,
      );
    if (tables.length === 0)
      return {
        findings: [
          {
            id: "rls-smoke",
            severity: "high",
            subject: database.target,
            message: "no tenant tables to check",
            fix: "declare tenantColumn/ownerColumn/publicRead (runbooks:rls.tables), or pass --tenant-column",
            couldNotCheck: true,
          },
        ],
      };
    const report = await runSmoke({
      connectionString: database.connectionString,
      tables,
      appRole: db.appRole,
    });
    return { findings: smokeFindings(report), report, text: renderMatrix(report).split("\n") };
  },
});

runAsMain(module, rlsSmoke);
