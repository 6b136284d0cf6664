/**
 * `npm run rls:lint` — RLS lints against the live database and the declared set.
 *
 * Exit 0: no errors (warnings allowed unless --strict); 1: findings; 2: could not check.
 */
import { rlsContextFromStackFile } from "../infra/rls/deploy";
import { closePools, withConnection } from "../infra/postgres/client";
import { readLintCatalog } from "../infra/rls/lint-catalog";
import { lintRls } from "../infra/rls/lints/index";
import {
  EXIT_OK,
  EXIT_PROBLEM,
  readStackFile,
  requireDatabaseUrl,
  run,
  type ExitCode,
} from "./lib/cli";

const USAGE = `Usage: npm run rls:lint -- [options]

Checks the live database's row-level security against the declared set:
tables without RLS, RLS not forced, BYPASSRLS roles, USING (true) on tenant
tables, auth.uid() evaluated per row, locked-out tables, SECURITY DEFINER
views and functions, overlapping permissive policies, drift.

Options:
  --database-url <url>   connection string (default: $DATABASE_URL)
  --stack <name>         read declarations and settings from stacks/Pulumi.<name>.yaml
  --strict               warnings fail too
  --json                 print findings as JSON
  --help                 this text

Exit codes: 0 no problems, 1 problems found, 2 could not check.`;

void run(
  async (flags): Promise<ExitCode> => {
    const url = requireDatabaseUrl(flags);
    const stackFile = flags.stack ? readStackFile(flags.stack) : undefined;
    const context = rlsContextFromStackFile(flags.stack, stackFile?.raw);
    const settings = {
      exposedSchemas: context.database.exposedSchemas,
      appRole: context.database.appRole,
      bypassRlsAllowed: context.database.bypassRlsAllowed,
      declarationsHint: context.declarationsHint,
    };
    try {
      const catalog = await withConnection(
        { connectionString: url, applicationName: "runbooks-rls-lint" },
        "read the catalog for rls:lint",
        (client) =>
          readLintCatalog(client, {
            ...settings,
            declaredSchemas: context.tables.map((t) => t.schema),
          }),
      );
      const findings = await lintRls(catalog, context.tables, settings);
      const failing = findings.filter(
        (f) => f.severity === "high" || flags.options.get("strict") === true,
      );
      const code = failing.length > 0 ? EXIT_PROBLEM : EXIT_OK;
      if (flags.json)
        console.log(JSON.stringify({ ok: code === EXIT_OK, exitCode: code, findings }, null, 2));
      else
        console.log(
          findings.length === 0
            ? "No RLS problems found."
            : findings
                .map(
                  (f) =>
                    `${f.severity.toUpperCase().padEnd(7)} ${f.id}  ${f.subject}\n        ${f.message}\n        fix: ${f.fix}`,
                )
                .join("\n\n"),
        );
      return code;
    } finally {
      await closePools();
    }
  },
  { usage: USAGE },
);
