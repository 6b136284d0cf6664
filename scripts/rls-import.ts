/**
 * `rls:import` — declarations that match what the database already has (RLS
 * and FORCE, every policy as Postgres prints it, the API roles' table
 * privileges), to adopt it without changing it: the first `pulumi up` after
 * adding them issues no DDL. Read-only.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Finding } from "../infra/lib/findings";
import { closePools } from "../infra/postgres/client";
import { importDeclarations } from "../infra/rls/import";
import { defineCommand, UsageError, type ArgSpecs } from "./lib/command";
import { runAsMain } from "./lib/main";
import { SCHEMAS_ARG, schemasOption } from "./lib/options";
import { rlsSettings } from "./lib/rls-settings";

const ARGS = {
  schemas: {
    ...SCHEMAS_ARG,
    description: "schemas to import (default: the stack's exposed schemas, or public)",
  },
  format: {
    type: "string",
    valueHint: "yaml|ts",
    default: "yaml",
    description: "for the stack file (yaml) or for RLS_TABLES_IN_CODE (ts)",
  },
  output: {
    type: "string",
    valueHint: "file",
    description: "write the declarations to this new file instead of printing them",
  },
} as const satisfies ArgSpecs;

export const rlsImport = defineCommand({
  name: "rls:import",
  description: "Print RLS declarations that match the live database exactly, to adopt it as is",
  help:
    "Reads every table of the schemas and prints declarations for runbooks:rls.tables (YAML) or\n" +
    "RLS_TABLES_IN_CODE (TypeScript). The first pulumi up after adding them changes nothing;\n" +
    "comments say where it will (a per-row auth.*() call is declared wrapped in (select …)).",
  shared: ["stack", "database-url", "json", "quiet"],
  args: ARGS,
  cleanup: closePools,
  async run({ args, stack, database, env }) {
    const format = args.format;
    if (format !== "yaml" && format !== "ts")
      throw new UsageError(`--format must be yaml or ts, got '${format}'`);
    const { database: db } = rlsSettings(stack);
    const schemas = schemasOption(args.schemas) ?? db.exposedSchemas;
    const result = await importDeclarations({
      connectionString: database.connectionString,
      schemas,
      format,
      appRole: db.appRole,
    });
    const findings: Finding[] = [...result.notes].flatMap(([table, notes]) =>
      notes.map((note) => ({
        id: "rls-import",
        severity: "info" as const,
        subject: table,
        message: `${table}: ${note}`,
        fix: "",
      })),
    );
    let text = result.text.trimEnd().split("\n");
    if (args.output !== undefined) {
      // npm runs scripts from the repository root; the path is the caller's.
      const path = resolve(env.INIT_CWD ?? process.cwd(), args.output);
      try {
        // "wx": an existing file (a stack file, an earlier import) is never overwritten.
        writeFileSync(path, result.text, { flag: "wx" });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST")
          throw new UsageError(`--output ${args.output} already exists; choose a new file`);
        throw error;
      }
      text = [
        `rls:import: ${result.tables.length} table(s) of ${schemas.join(", ")} written to ${path}`,
      ];
    }
    return {
      findings,
      report: {
        target: database.target,
        schemas,
        tables: result.tables,
        notes: Object.fromEntries(result.notes),
      },
      text,
    };
  },
});

runAsMain(module, rlsImport);
