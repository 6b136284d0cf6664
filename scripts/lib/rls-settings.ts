/**
 * What rls:lint and rls:smoke take from a stack: its database settings and
 * its declared tables, from the validated config (the stack file is read by
 * the runner, through infra/config). Without --stack: the defaults, and no
 * declarations.
 */
import { databaseSchema, type DatabaseConfig } from "../../infra/config/index";
import type { StackFileConfig } from "../../infra/config/stack-file";
import { rlsTablesFor } from "../../infra/rls/deploy";
import type { TableSpec } from "../../infra/rls/model";

export interface RlsSettings {
  database: DatabaseConfig;
  tables: TableSpec[];
  /** Where a fix should change the declarations. */
  declarationsHint: string;
}

export function rlsSettings(stack: StackFileConfig | undefined): RlsSettings {
  if (!stack)
    return {
      database: databaseSchema.parse({}),
      tables: [],
      declarationsHint: "runbooks:rls.tables in your stack file",
    };
  return {
    database: stack.config.database,
    tables: rlsTablesFor(stack.config, stack.context.stack, stack.context.stackFile),
    declarationsHint: `runbooks:rls.tables in ${stack.context.stackFile} (or RLS_TABLES_IN_CODE in infra/rls/deploy.ts)`,
  };
}
