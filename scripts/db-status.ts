/** `db:status` — the runbook's "database status" step. Read-only, safe on production. */
import {
  assessDbStatus,
  DEFAULT_API_ROLES,
  DEFAULT_DB_STATUS_THRESHOLDS as DEFAULTS,
  DEFAULT_EXPOSED_SCHEMAS,
  readDbStatus,
  renderDbStatusHeader,
  type DbStatusThresholds,
} from "../infra/checks/db-status";
import { runReadOnlyCheck } from "../infra/checks/read-only-check";
import { exitCodeFor } from "../infra/lib/findings-render";
import { defineCommand, type ArgSpecs } from "./lib/command";
import { runAsMain } from "./lib/main";
import { schemasOption } from "./lib/options";

const seconds = (description: string, fallback: number) =>
  ({
    type: "number",
    valueHint: "s",
    description,
    default: fallback,
    min: 0,
    max: 86_400,
  }) as const;

const ARGS = {
  schemas: {
    type: "string",
    valueHint: "a,b",
    description:
      "schemas to check for tables without RLS (default: public, storage and the stack's)",
  },
  long: seconds("report statements running longer than this", DEFAULTS.longQuerySeconds),
  idle: seconds(
    "report sessions idle in a transaction longer than this",
    DEFAULTS.idleInTransactionSeconds,
  ),
  "lock-wait": seconds(
    "a session blocked by a lock longer than this is critical",
    DEFAULTS.lockWaitSeconds,
  ),
} as const satisfies ArgSpecs;

export interface DbStatusDeps {
  /** Thresholds the flags do not reach (connection percentages). */
  thresholds: Partial<DbStatusThresholds>;
}

export const dbStatus = defineCommand<typeof ARGS, DbStatusDeps>({
  name: "db:status",
  description:
    "Database status: connections, locks and who holds them, long queries, wraparound, tables without RLS",
  help:
    "Read-only and safe on production: one snapshot in a read-only transaction that is rolled back.\n" +
    "With --stack, the stack's exposed schemas and app role are checked too.",
  shared: ["stack", "database-url", "json", "quiet"],
  args: ARGS,
  async run({ args, stack, database, deps }) {
    let exposedSchemas = DEFAULT_EXPOSED_SCHEMAS;
    let apiRoles = DEFAULT_API_ROLES;
    if (stack) {
      exposedSchemas = [...new Set([...exposedSchemas, ...stack.config.database.exposedSchemas])];
      apiRoles = [...new Set([...apiRoles, stack.config.database.appRole])];
    }
    exposedSchemas = schemasOption(args.schemas) ?? exposedSchemas;
    const { report, findings } = await runReadOnlyCheck({
      connectionString: database.connectionString,
      applicationName: "runbooks:db:status",
      activity: "read the database status",
      thresholds: {
        ...DEFAULTS,
        ...deps.thresholds,
        longQuerySeconds: args.long,
        idleInTransactionSeconds: args.idle,
        lockWaitSeconds: args["lock-wait"],
      },
      read: (client) => readDbStatus(client, { exposedSchemas, apiRoles }),
      assess: assessDbStatus,
    });
    const problem = exitCodeFor(findings) !== 0;
    return {
      findings,
      report,
      text: renderDbStatusHeader(report),
      notes: problem ? ['(run the fixes in a Postgres shell: psql "$DATABASE_URL")'] : [],
    };
  },
});

runAsMain(module, dbStatus);
