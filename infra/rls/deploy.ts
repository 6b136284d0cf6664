/**
 * The RLS area of the runbook: row-level security as code.
 *
 * RLS is declared in two places, merged here: the stack's `runbooks:rls.tables`
 * (data, per stack) and TypeScript declarations (`RLS_TABLES_IN_CODE`, per
 * stack name). A table declared in both is an error.
 */
import * as pulumi from "@pulumi/pulumi";
import { stackFileFor, type LoadedStackConfig, type StackConfig } from "../config/index";
import { APP_RLS_TABLES } from "../local/example-app/rls";
import {
  declareTable,
  mergeDeclarations,
  tableFromConfig,
  type TableDeclaration,
  type TableSpec,
} from "./model";
import { RlsPolicies } from "./rls-policies";
import { rlsProviderVersion } from "./rls-table";

/**
 * RLS declared in TypeScript, by stack name. The `local` stack protects the
 * example app of infra/postgres/fixtures/app-schema.sql; add your own stacks'
 * tables here, or in `runbooks:rls.tables` in their stack file.
 */
export const RLS_TABLES_IN_CODE: Record<string, TableDeclaration[]> = {
  local: APP_RLS_TABLES,
};

/** Every table whose RLS the stack manages, canonical and sorted. */
export function rlsTablesFor(
  config: Pick<StackConfig, "rls" | "database">,
  stack: string,
  /** The file the declarations were read from, for the error naming a clash. */
  stackFile: string = stackFileFor(stack),
): TableSpec[] {
  const defaults = { appRole: config.database.appRole };
  const fromConfig = config.rls.tables.map((t) => tableFromConfig(t, defaults));
  const fromCode = (RLS_TABLES_IN_CODE[stack] ?? []).map((t) => declareTable(t, defaults));
  return mergeDeclarations(fromConfig, fromCode, stackFile);
}

/** Stack outputs of the RLS area (plain values and Outputs, nothing secret). */
export interface RlsOutputs {
  /** `schema.table` of every managed table, sorted. */
  tables: string[];
  policyCount: number;
  /** Hash of the provider code's import graph, as this program run computed it. */
  providerVersion?: string;
  /** Out-of-band changes per table, as the last refresh saw them. */
  drift?: pulumi.Output<Record<string, string[]>>;
}

export interface RlsDeps {
  /** Resources every RLS apply waits for: the backup job, so a backup precedes each apply. */
  dependsOn?: pulumi.Resource[];
}

export function deployRls(config: LoadedStackConfig, deps: RlsDeps = {}): RlsOutputs | undefined {
  if (!config.features.rls) return undefined;
  const tables = rlsTablesFor(config, config.stack, config.context?.stackFile);
  if (tables.length === 0) return { tables: [], policyCount: 0 };
  const rls = new RlsPolicies(
    `${config.project}-rls`,
    {
      tables,
      connection: config.secret(config.database.urlSecretRef),
      lockTimeoutSeconds: config.database.lockTimeoutSeconds,
      lockRetries: config.database.lockRetries,
    },
    deps.dependsOn ? { dependsOn: deps.dependsOn } : undefined,
  );
  return {
    tables: rls.tables,
    policyCount: rls.policyCount,
    providerVersion: rlsProviderVersion(),
    drift: rls.drift,
  };
}
