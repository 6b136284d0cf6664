/**
 * `db:deploy` — the runbook's "Run Migrations if Needed", made safe: a
 * pre-change backup first, the app's migration command with a lock timeout,
 * then what the migration changed in row-level security. Stops with the
 * restore command when it fails.
 */
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { Finding } from "../infra/lib/findings";
import { closePools, withConnection } from "../infra/postgres/client";
import { withReadOnlySession } from "../infra/postgres/session";
import { deployMigrations, type DeployReport } from "../infra/migrations/deploy";
import { MigrationsFolderError, readMigrationsFolder } from "../infra/migrations/folder";
import { readPrismaMigrations } from "../infra/migrations/prisma-table";
import { readRlsCoverage } from "../infra/migrations/rls-coverage";
import { runMigrationCommand } from "../infra/migrations/run-command";
import {
  deploySourcesFor,
  missingBackupReason,
  type DeploySources,
} from "../infra/migrations/sources";
import { lintDatabase } from "../infra/rls/lint-run";
import { defineCommand, UsageError, type ArgSpecs } from "./lib/command";
import { runAsMain } from "./lib/main";
import { rlsSettings } from "./lib/rls-settings";
import { startDir } from "./lib/cwd";

const ARGS = {
  "app-dir": {
    type: "string",
    valueHint: "dir",
    description: "the app's checkout, where the migration command runs (default: where you are)",
  },
  command: {
    type: "string",
    valueHint: "cmd",
    description:
      "the migration command (default: runbooks:database.migrateCommand, npx prisma migrate deploy)",
  },
  migrations: {
    type: "string",
    valueHint: "dir",
    description:
      "the Prisma migrations folder (default: runbooks:database.migrationsDir in --app-dir)",
  },
  "skip-backup": {
    type: "boolean",
    description:
      "migrate without a pre-change backup when none can be taken here (take one yourself first)",
  },
  "lock-timeout": {
    type: "number",
    valueHint: "ms",
    description:
      "lock_timeout for the migration's sessions (default: runbooks:database.lockTimeoutSeconds)",
    default: 0,
    min: 0,
    max: 600_000,
    integer: true,
  },
  timeout: {
    type: "number",
    valueHint: "s",
    description: "stop the migration command after this long",
    default: 900,
    min: 1,
    max: 86_400,
    integer: true,
  },
} as const satisfies ArgSpecs;

export interface DbDeployDeps {
  /** The directory the command was started from, when --app-dir is not given. */
  cwd: string;
  /** What other areas provide (the backups area's pre-change backup); default: this checkout's. */
  sources: DeploySources;
}

export const dbDeploy = defineCommand<typeof ARGS, DbDeployDeps, DeployReport>({
  name: "db:deploy",
  description: "Run the app's migrations safely: backup first, lock timeout, then the RLS check",
  help:
    "1. reads the migration status (a failed migration stops it; nothing pending, nothing to do);\n" +
    "2. takes a pre-change backup (the backups area), or stops unless --skip-backup;\n" +
    "3. runs the migration command in --app-dir with DATABASE_URL and PGOPTIONS='-c lock_timeout=…';\n" +
    "4. on failure stops with the restore command; 5. otherwise lints RLS and reports what the\n" +
    "migration changed (new tables without RLS, RLS turned off, policies dropped).",
  shared: ["stack", "database-url", "json", "quiet"],
  args: ARGS,
  failOn: "high",
  cleanup: closePools,
  async run({ args, stack, database, env, deps, progress }) {
    const base = startDir(env, deps.cwd);
    const appDir = resolve(base, args["app-dir"] ?? ".");
    if (!existsSync(appDir))
      throw new UsageError(`--app-dir ${args["app-dir"]}: no such directory`);
    const settings = rlsSettings(stack);
    const db = settings.database;
    let folder;
    const folderPath =
      args.migrations !== undefined
        ? resolve(base, args.migrations)
        : join(appDir, db.migrationsDir);
    if (args.migrations !== undefined || existsSync(folderPath)) {
      try {
        folder = {
          shown: relative(base, folderPath) || folderPath,
          migrations: readMigrationsFolder(folderPath),
        };
      } catch (error) {
        if (error instanceof MigrationsFolderError) throw new UsageError(error.message);
        throw error;
      }
    }
    const target = {
      connectionString: database.connectionString,
      applicationName: "runbooks:db:deploy",
    };
    const sources = deps.sources ?? deploySourcesFor(stack);
    const lockTimeoutMs =
      args["lock-timeout"] > 0 ? args["lock-timeout"] : db.lockTimeoutSeconds * 1000;
    const command = args.command ?? db.migrateCommand;
    const backup = sources.backup;
    const { report, findings } = await deployMigrations(
      {
        target: database.target,
        command,
        appDir,
        ...(folder ? { folder } : {}),
        skipBackup: args["skip-backup"],
        backupMissingReason: missingBackupReason(stack),
        fallbackRestore:
          'no pre-change backup was taken here: restore the one you took (pg_restore --clean --if-exists --dbname "$DATABASE_URL" <file>), or your latest backup',
      },
      {
        // In a (read-only) transaction: the read uses a savepoint.
        readStatus: () =>
          withReadOnlySession(target, "read _prisma_migrations", readPrismaMigrations),
        readCoverage: () =>
          withConnection(target, "read RLS coverage", (c) => readRlsCoverage(c, db.exposedSchemas)),
        // The same lint as rls:lint, declared expressions normalized as Postgres stores them.
        lint: async (): Promise<Finding[]> =>
          (
            await lintDatabase({
              connectionString: database.connectionString,
              tables: settings.tables,
              database: db,
              declarationsHint: settings.declarationsHint,
            })
          ).findings,
        runMigration: () =>
          runMigrationCommand({
            command,
            cwd: appDir,
            env,
            connectionString: database.connectionString,
            lockTimeoutMs,
            timeoutMs: args.timeout * 1000,
          }),
        ...(backup
          ? {
              backup: () =>
                backup.take({
                  connectionString: database.connectionString,
                  reason: `pre-change backup before db:deploy (${command})`,
                  progress,
                }),
            }
          : {}),
        progress,
      },
    );
    return {
      findings,
      report,
      text: [
        `Database deploy: ${database.target}  (${command} in ${appDir}, lock_timeout ${lockTimeoutMs} ms)`,
        ...(folder ? [`  migrations folder: ${folder.shown} (${folder.migrations.length})`] : []),
      ],
    };
  },
});

runAsMain(module, dbDeploy);
