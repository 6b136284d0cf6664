/**
 * `npm run rls:import -- --database-url <url>` — print RLS declarations that
 * match what the database already has, to adopt it without changing it.
 *
 * Exit 0: printed; 2: could not read the database.
 */
import { closePools } from "../infra/postgres/client";
import { rlsContextFromStackFile } from "../infra/rls/deploy";
import { importDeclarations } from "../infra/rls/import";
import { parseIdentifierList } from "./lib/options";
import {
  EXIT_OK,
  UsageError,
  readStackFile,
  requireDatabaseUrl,
  run,
  type ExitCode,
} from "./lib/cli";

const USAGE = `Usage: npm run rls:import -- --database-url <url> [options]

Prints declarations for every table of the schemas — RLS and FORCE, each
policy as Postgres prints it, the API roles' table privileges — ready for
runbooks:rls.tables (YAML) or RLS_TABLES_IN_CODE (TypeScript). The first
pulumi up after adding them changes nothing; comments say where it will.

Options:
  --database-url <url>   connection string (default: $DATABASE_URL)
  --stack <name>         use the stack's exposed schemas and app role (stacks/Pulumi.<name>.yaml)
  --schemas <a,b>        schemas to import (default: the stack's exposed schemas, or public)
  --format <yaml|ts>     output for the stack file (yaml, the default) or for TypeScript (ts)
  --json                 print the tables and notes as JSON
  --help                 this text

Exit codes: 0 printed, 2 could not read the database.`;

void run(
  async (flags): Promise<ExitCode> => {
    const url = requireDatabaseUrl(flags);
    const context = rlsContextFromStackFile(
      flags.stack,
      flags.stack ? readStackFile(flags.stack).raw : undefined,
    );
    const raw = flags.options.get("schemas");
    let schemas = context.database.exposedSchemas;
    if (typeof raw === "string") {
      const parsed = parseIdentifierList(raw, "schemas");
      if ("problem" in parsed) throw new UsageError(parsed.problem);
      schemas = parsed.value;
    }
    const format = flags.options.get("format") ?? "yaml";
    if (format !== "yaml" && format !== "ts")
      throw new UsageError(`--format must be yaml or ts, got '${String(format)}'`);
    try {
      const result = await importDeclarations({
        connectionString: url,
        schemas,
        format,
        appRole: context.database.appRole,
      });
      console.log(
        flags.json
          ? JSON.stringify(
              { ok: true, tables: result.tables, notes: Object.fromEntries(result.notes) },
              null,
              2,
            )
          : result.text.trimEnd(),
      );
      return EXIT_OK;
    } finally {
      await closePools();
    }
  },
  { usage: USAGE },
);
