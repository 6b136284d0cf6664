/**
 * `npm run db:status` — the runbook's "database status" step. Read-only.
 *
 * Exit 0: nothing above info; 1: a warning or critical finding; 2: could not check.
 */
import { databaseSchema, stackFileFor } from "../infra/config/index";
import {
  assessDbStatus,
  DEFAULT_API_ROLES,
  DEFAULT_DB_STATUS_THRESHOLDS,
  DEFAULT_EXPOSED_SCHEMAS,
  readDbStatus,
  renderDbStatus,
  type DbStatusThresholds,
} from "../infra/checks/db-status";
import { reportJson } from "../infra/checks/findings";
import { parseIdentifierList, type NumberOptionSpec } from "./lib/options";
import { runReadOnlyCheck } from "../infra/postgres/session";
import {
  EXIT_OK,
  EXIT_PROBLEM,
  UsageError,
  numberFlag,
  readStackFile,
  requireDatabaseUrl,
  run,
  type CommonFlags,
  type ExitCode,
} from "./lib/cli";

export const USAGE = `Usage: npm run db:status -- [options]

The runbook's "database status" step, read-only and safe on production:
server version and uptime, database size, connections by state against
max_connections, sessions blocked by locks and who blocks them, sessions idle
in a transaction, long-running queries, transaction-ID wraparound age, and
tables without row-level security in the schemas the API exposes. Every
finding comes with what to do about it.

Options:
  --database-url <url>    connection string (default: $DATABASE_URL)
  --stack <name>          also check the exposed schemas and app role of stacks/Pulumi.<name>.yaml
  --schemas <a,b>         schemas to check for tables without RLS (default: public,storage)
  --long <seconds>        report statements running longer than this (default 300)
  --idle <seconds>        report sessions idle in a transaction longer than this (default 60)
  --lock-wait <seconds>   a session blocked by a lock longer than this is critical (default 5)
  --json                  print the snapshot and the findings as JSON
  --help                  this text

Exit codes: 0 all good, 1 a warning or critical finding, 2 could not check.`;

const APPLICATION_NAME = "runbooks:db:status";

const LONG: NumberOptionSpec = {
  flag: "long",
  default: DEFAULT_DB_STATUS_THRESHOLDS.longQuerySeconds,
  min: 0,
  max: 86_400,
};
const IDLE: NumberOptionSpec = {
  flag: "idle",
  default: DEFAULT_DB_STATUS_THRESHOLDS.idleInTransactionSeconds,
  min: 0,
  max: 86_400,
};
const LOCK_WAIT: NumberOptionSpec = {
  flag: "lock-wait",
  default: DEFAULT_DB_STATUS_THRESHOLDS.lockWaitSeconds,
  min: 0,
  max: 86_400,
};

export interface DbStatusIo {
  out: (line: string) => void;
  env: NodeJS.ProcessEnv;
  /** Thresholds the flags do not reach (connection percentages), for tests and callers. */
  thresholds?: Partial<DbStatusThresholds>;
}

/** Exposed schemas and API roles: --schemas, else the defaults plus what the stack declares. */
function scope(flags: CommonFlags): { exposedSchemas: string[]; apiRoles: string[] } {
  let exposedSchemas = DEFAULT_EXPOSED_SCHEMAS;
  let apiRoles = DEFAULT_API_ROLES;
  if (flags.stack) {
    const { raw } = readStackFile(flags.stack);
    const database = databaseSchema.safeParse(raw.database ?? {});
    if (!database.success)
      throw new Error(
        `invalid runbooks:database in ${stackFileFor(flags.stack)}: ` +
          database.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
      );
    exposedSchemas = [...new Set([...exposedSchemas, ...database.data.exposedSchemas])];
    apiRoles = [...new Set([...apiRoles, database.data.appRole])];
  }
  const schemas = flags.options.get("schemas");
  if (typeof schemas === "string") {
    const parsed = parseIdentifierList(schemas, "schemas");
    if ("problem" in parsed) throw new UsageError(parsed.problem);
    exposedSchemas = parsed.value;
  }
  return { exposedSchemas, apiRoles };
}

export async function main(flags: CommonFlags, io: Partial<DbStatusIo> = {}): Promise<ExitCode> {
  const out = io.out ?? ((line: string) => console.log(line));
  const url = requireDatabaseUrl(flags, io.env ?? process.env);
  const thresholds: DbStatusThresholds = {
    ...DEFAULT_DB_STATUS_THRESHOLDS,
    ...io.thresholds,
    longQuerySeconds: numberFlag(flags, LONG),
    idleInTransactionSeconds: numberFlag(flags, IDLE),
    lockWaitSeconds: numberFlag(flags, LOCK_WAIT),
  };
  const options = scope(flags);
  const { report, problem } = await runReadOnlyCheck({
    connectionString: url,
    applicationName: APPLICATION_NAME,
    activity: "read the database status",
    thresholds,
    read: (client) => readDbStatus(client, options),
    assess: assessDbStatus,
  });
  const code = problem ? EXIT_PROBLEM : EXIT_OK;
  out(flags.json ? reportJson(report, code) : renderDbStatus(report));
  return code;
}

if (require.main === module) void run(main, { usage: USAGE });
