/**
 * `RlsTable`: one table's RLS (ENABLE, FORCE, every policy and the API roles'
 * table privileges), managed by the dynamic provider in ./provider.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PolicySpec } from "./model";
import type { LiveTableState } from "./catalog";
import type { PrivilegeMap } from "./privileges";
import { join } from "node:path";
import { LoadedDynamicResource } from "../lib/dynamic/resource";
import { providerVersion } from "../lib/dynamic/version";
import { RLS_TABLE_PROVIDER_ID } from "./provider";
import type { AppliedTable } from "./stored";

/** The version of the code behind `RlsTable`: a hash of ./provider.ts's import graph. */
export function rlsProviderVersion(): string {
  return providerVersion(join(__dirname, "provider.ts"));
}

export interface RlsTableArgs {
  /** Schema of the table, e.g. `public`. */
  schema: pulumi.Input<string>;
  /** Table name; the table itself is created by migrations. */
  table: pulumi.Input<string>;
  /** ENABLE ROW LEVEL SECURITY. */
  enabled: pulumi.Input<boolean>;
  /** FORCE ROW LEVEL SECURITY (the owner is subject to policies too). */
  force: pulumi.Input<boolean>;
  /** Every policy of the table, canonical form (see model.ts). Undeclared live policies are dropped. */
  policies: pulumi.Input<PolicySpec[]>;
  /** Admin/owner connection string; must be a secret Output. */
  connection: pulumi.Input<string>;
  /** Seconds each DDL lock acquisition may wait. */
  lockTimeoutSeconds: pulumi.Input<number>;
  /** Further attempts after a lock timeout. */
  lockRetries: pulumi.Input<number>;
  /** Every schema the stack declares RLS tables in (scope of the one catalog query). */
  catalogSchemas: pulumi.Input<string[]>;
  /** Table privileges by grantee, complete for the grantees managed (see privileges.ts). */
  privileges: pulumi.Input<PrivilegeMap>;
  /**
   * The column holding the tenant id when the table is tenant-scoped, else
   * null. Not applied by the provider (the policies carry the checks): it
   * tells reviewers and the policy pack which tables must isolate tenants.
   */
  tenantColumn?: pulumi.Input<string | null>;
  /** The JWT claim `tenantColumn` is compared with, or null. */
  tenantClaim?: pulumi.Input<string | null>;
}

export class RlsTable extends LoadedDynamicResource {
  /** The table as the last apply committed it, as state keeps it (stored.ts). */
  declare readonly applied: pulumi.Output<AppliedTable>;
  /** The table as the last refresh saw it, when that differed from `applied`; else undefined. */
  declare readonly live: pulumi.Output<LiveTableState | undefined>;
  /** Out-of-band changes found by the last refresh. */
  declare readonly drift: pulumi.Output<string[]>;
  declare readonly providerVersion: pulumi.Output<string>;

  constructor(name: string, args: RlsTableArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      RLS_TABLE_PROVIDER_ID,
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        providerVersion: rlsProviderVersion(),
        applied: undefined,
        live: undefined,
        drift: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["connection"] }),
      "runbooks-postgres",
      "RlsTable",
    );
  }
}
