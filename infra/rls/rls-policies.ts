/**
 * `RlsPolicies`: row-level security for a set of tables, one `RlsTable`
 * child per table (one transaction per table; see provider.ts for why).
 */
import * as pulumi from "@pulumi/pulumi";
import { duplicates } from "../lib/unique";
import { tableKey, type TableSpec } from "./model";
import { RlsTable } from "./rls-table";

export interface RlsPoliciesArgs {
  /** Tables in canonical form (`declareTable`, `tableFromConfig`); each schema.table at most once. */
  tables: TableSpec[];
  /** Admin/owner connection string; kept secret end to end. */
  connection: pulumi.Input<string>;
  /** Seconds each DDL lock acquisition may wait (runbooks:database.lockTimeoutSeconds). */
  lockTimeoutSeconds: number;
  /** Further attempts after a lock timeout (runbooks:database.lockRetries). */
  lockRetries: number;
}

export class RlsPolicies extends pulumi.ComponentResource {
  /** `schema.table` of every managed table, sorted. */
  readonly tables: string[];
  /** Policies declared across all tables. */
  readonly policyCount: number;
  /** Drift found by the last refresh, per table (empty lists when in sync). */
  readonly drift: pulumi.Output<Record<string, string[]>>;
  readonly children: RlsTable[];

  constructor(name: string, args: RlsPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("runbooks:postgres:RlsPolicies", name, {}, opts);
    assertUniqueTables(args.tables);
    const catalogSchemas = [...new Set(args.tables.map((t) => t.schema))].sort();
    this.children = this.createTables(name, args, catalogSchemas);
    this.tables = args.tables.map(tableKey).sort();
    this.policyCount = args.tables.reduce((n, t) => n + t.policies.length, 0);
    this.drift = this.collectDrift(args.tables.map(tableKey));
    this.registerOutputs({ tables: this.tables, policyCount: this.policyCount, drift: this.drift });
  }

  /**
   * A plain loop, not `map` and a helper: the SDK stores the stack of every
   * registration in the resource's state, and each frame is bytes that the
   * file backend rewrites after every step, for every table.
   */
  private createTables(name: string, args: RlsPoliciesArgs, catalogSchemas: string[]): RlsTable[] {
    const children: RlsTable[] = [];
    for (const t of args.tables)
      children.push(
        new RlsTable(
          `${name}-${t.schema}-${t.table}`,
          {
            schema: t.schema,
            table: t.table,
            enabled: t.enabled,
            force: t.force,
            policies: t.policies,
            connection: pulumi.secret(args.connection),
            lockTimeoutSeconds: args.lockTimeoutSeconds,
            lockRetries: args.lockRetries,
            catalogSchemas,
            privileges: t.privileges,
            tenantColumn: t.tenantColumn,
            tenantClaim: t.tenantClaim,
          },
          { parent: this },
        ),
      );
    return children;
  }

  private collectDrift(keys: string[]): pulumi.Output<Record<string, string[]>> {
    const entries = this.children.map((child, i) => pulumi.all([keys[i]!, child.drift]));
    return pulumi
      .all(entries)
      .apply((pairs) => Object.fromEntries(pairs.map(([table, drift]) => [table, drift ?? []])));
  }
}

function assertUniqueTables(tables: TableSpec[]): void {
  const twice = duplicates(tables, tableKey)[0];
  if (twice)
    throw new Error(`RLS table ${twice.key} is declared twice; each table has one set of policies`);
}
