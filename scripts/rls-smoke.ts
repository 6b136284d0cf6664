/**
 * `npm run rls:smoke` — prove tenant isolation as the real roles, on a real
 * connection, inside transactions that are always rolled back.
 *
 * Exit 0: every probe as declared; 1: a mismatch (a leak or a lock-out); 2: could not check.
 */
import { rlsContextFromStackFile } from "../infra/rls/deploy";
import { closePools } from "../infra/postgres/client";
import { renderMatrix } from "../infra/rls/smoke-plan";
import { discoverTenantTables, runSmoke } from "../infra/rls/smoke";
import {
  EXIT_COULD_NOT_CHECK,
  EXIT_OK,
  EXIT_PROBLEM,
  UsageError,
  readStackFile,
  requireDatabaseUrl,
  run,
  type ExitCode,
} from "./lib/cli";

const USAGE = `Usage: npm run rls:smoke -- [options]

Impersonates anon, two authenticated users in two tenants, and service_role
(SET ROLE + request.jwt.claims, as PostgREST does) and checks SELECT, INSERT,
UPDATE and DELETE on every declared tenant table against what the
declarations say. Seed rows are created and rolled back: nothing is committed.

Options:
  --database-url <url>    connection string (default: $DATABASE_URL); must be able to bypass RLS to seed
  --stack <name>          check the tables declared for stacks/Pulumi.<name>.yaml
  --tenant-column <name>  without --stack: treat RLS tables with this column as tenant tables (default tenant_id)
  --tenant-claim <path>   without --stack: JWT claim holding the tenant id (default tenant_id)
  --table <schema.table>  only this table
  --json                  print the matrix as JSON
  --help                  this text

Exit codes: 0 all as declared, 1 mismatch found, 2 could not check.`;

void run(
  async (flags): Promise<ExitCode> => {
    const url = requireDatabaseUrl(flags);
    const stackFile = flags.stack ? readStackFile(flags.stack) : undefined;
    const context = rlsContextFromStackFile(flags.stack, stackFile?.raw);
    const option = (name: string) => {
      const v = flags.options.get(name);
      return typeof v === "string" ? v : undefined;
    };
    try {
      let tables = flags.stack
        ? context.tables
        : await discoverTenantTables(url, {
            schemas: context.database.exposedSchemas,
            tenantColumn: option("tenant-column") ?? "tenant_id",
            tenantClaim: option("tenant-claim") ?? "tenant_id",
          });
      const only = option("table");
      if (only) {
        tables = tables.filter((t) => `${t.schema}.${t.table}` === only);
        if (tables.length === 0)
          throw new UsageError(`--table ${only} is not among the declared (or discovered) tables`);
      }
      const report = await runSmoke({
        connectionString: url,
        tables,
        appRole: context.database.appRole,
      });
      const code =
        report.mismatches.length > 0
          ? EXIT_PROBLEM
          : report.couldNotCheck.length > 0 || tables.length === 0
            ? EXIT_COULD_NOT_CHECK
            : EXIT_OK;
      if (flags.json) {
        console.log(JSON.stringify({ ...report, ok: code === EXIT_OK, exitCode: code }, null, 2));
      } else {
        console.log(
          tables.length === 0
            ? "No tenant tables to check: declare tenantColumn/ownerColumn/publicRead, or pass --tenant-column."
            : renderMatrix(report),
        );
      }
      return code;
    } finally {
      await closePools();
    }
  },
  { usage: USAGE },
);
