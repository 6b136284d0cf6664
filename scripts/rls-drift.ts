/**
 * `npm run rls:drift -- --stack <name>` — what `pulumi up` would change in the
 * database's row-level security, per declared table, without the engine.
 *
 * Exit 0: as declared; 1: drift found; 2: could not check.
 */
import { closePools } from "../infra/postgres/client";
import { driftExitCode, driftReport, renderDrift } from "../infra/rls/drift";
import { rlsContextFromStackFile } from "../infra/rls/deploy";
import { parseIdentifierList } from "./lib/options";
import { UsageError, readStackFile, requireDatabaseUrl, run, type ExitCode } from "./lib/cli";

const USAGE = `Usage: npm run rls:drift -- --stack <name> [options]

Compares the stack's RLS declarations with the live database: policies
(command, mode, roles, expressions as Postgres normalizes them), RLS and
FORCE, and the API roles' table privileges. Prints what pulumi up would
change. Read-only for every real table.

Options:
  --database-url <url>   connection string (default: $DATABASE_URL)
  --stack <name>         the stack whose declarations to compare (stacks/Pulumi.<name>.yaml)
  --schemas <a,b>        only the declared tables of these schemas
  --json                 print the comparison as JSON
  --help                 this text

Exit codes: 0 as declared, 1 drift found, 2 could not check.`;

void run(
  async (flags): Promise<ExitCode> => {
    const url = requireDatabaseUrl(flags);
    if (!flags.stack)
      throw new UsageError("rls:drift compares with a stack's declarations: pass --stack <name>");
    const context = rlsContextFromStackFile(flags.stack, readStackFile(flags.stack).raw);
    const raw = flags.options.get("schemas");
    let schemas: string[] | undefined;
    if (typeof raw === "string") {
      const parsed = parseIdentifierList(raw, "schemas");
      if ("problem" in parsed) throw new UsageError(parsed.problem);
      schemas = parsed.value;
    }
    try {
      const report = await driftReport({
        connectionString: url,
        tables: context.tables,
        schemas,
        lockTimeoutSeconds: context.database.lockTimeoutSeconds,
      });
      const code = driftExitCode(report);
      console.log(
        flags.json ? JSON.stringify({ ...report, exitCode: code }, null, 2) : renderDrift(report),
      );
      return code;
    } finally {
      await closePools();
    }
  },
  { usage: USAGE },
);
