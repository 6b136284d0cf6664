/** `db:status` — the runbook's "database status" step. Read-only, safe on production. */
import {
  DEFAULT_API_ROLES,
  DEFAULT_EXPOSED_SCHEMAS,
  readDbStatus,
} from "../infra/checks/db-status";
import {
  assessDbStatus,
  DEFAULT_DB_STATUS_THRESHOLDS as DEFAULTS,
  renderDbStatusHeader,
  type DbStatusThresholds,
} from "../infra/checks/db-status-findings";
import { runReadOnlyCheck } from "../infra/checks/read-only-check";
import type { StackFileConfig } from "../infra/config/stack-file";
import { exitCodeFor } from "../infra/lib/findings-render";
import {
  MigrationsFolderError,
  readMigrationsFolder,
  type FolderMigration,
} from "../infra/migrations/folder";
import { readPrismaMigrations, type PrismaTableRead } from "../infra/migrations/prisma-table";
import {
  migrationFindings,
  migrationStatus,
  renderMigrationSummary,
} from "../infra/migrations/status";
import { defineCommand, UsageError, type ArgSpecs } from "./lib/command";
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
  migrations: {
    type: "string",
    valueHint: "dir",
    description:
      "the app's Prisma migrations folder: pending and edited migrations are found against it",
  },
} as const satisfies ArgSpecs;

/** The schemas and API roles db:status looks at: the defaults plus the stack's. */
export function dbStatusScope(stack: StackFileConfig | undefined): {
  exposedSchemas: string[];
  apiRoles: string[];
} {
  if (!stack) return { exposedSchemas: DEFAULT_EXPOSED_SCHEMAS, apiRoles: DEFAULT_API_ROLES };
  return {
    exposedSchemas: [
      ...new Set([...DEFAULT_EXPOSED_SCHEMAS, ...stack.config.database.exposedSchemas]),
    ],
    apiRoles: [...new Set([...DEFAULT_API_ROLES, stack.config.database.appRole])],
  };
}

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
    "With --stack, the stack's exposed schemas and app role are checked too. Migration status comes\n" +
    "from Prisma's _prisma_migrations table (applied, failed, rolled back); with --migrations <dir>\n" +
    "also pending migrations, edited ones, and applied ones the folder lacks.",
  shared: ["stack", "database-url", "json", "quiet"],
  args: ARGS,
  async run({ args, stack, database, deps }) {
    let { exposedSchemas } = dbStatusScope(stack);
    const { apiRoles } = dbStatusScope(stack);
    exposedSchemas = schemasOption(args.schemas) ?? exposedSchemas;
    let folder: FolderMigration[] | undefined;
    if (args.migrations !== undefined) {
      try {
        folder = readMigrationsFolder(args.migrations);
      } catch (error) {
        if (error instanceof MigrationsFolderError) throw new UsageError(error.message);
        throw error;
      }
    }
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
      read: async (client) => ({
        ...(await readDbStatus(client, { exposedSchemas, apiRoles })),
        migrations: await readPrismaMigrations(client),
      }),
      assess: (snapshot, thresholds) => [
        ...assessDbStatus(snapshot, thresholds),
        ...migrationFindings(snapshot.migrations, folder, args.migrations),
      ],
    });
    const problem = exitCodeFor(findings) !== 0;
    return {
      findings,
      report,
      text: [...renderDbStatusHeader(report), ...migrationLine(report.snapshot.migrations, folder)],
      notes: problem ? ['(run the fixes in a Postgres shell: psql "$DATABASE_URL")'] : [],
    };
  },
});

function migrationLine(read: PrismaTableRead, folder: FolderMigration[] | undefined): string[] {
  if (read.state === "unreadable") return [`  migrations: could not read ${read.table}`];
  return [`  ${renderMigrationSummary(migrationStatus(read, folder))}`];
}

runAsMain(module, dbStatus);
