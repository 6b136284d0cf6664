/**
 * The dynamic provider behind `RlsTable`: one resource per table, holding
 * every policy of that table.
 *
 * Why per table: Postgres takes an ACCESS EXCLUSIVE lock on the table for any
 * policy DDL, so the table is the natural unit of a transaction — all of its
 * policies change together or not at all, and tables never wait on each other.
 * Per-policy resources would need a transaction spanning resources, which the
 * engine cannot give; per-schema resources would lock every table at once.
 *
 * The shell is thin: `check` is inputs.ts (the config's zod schemas), the
 * plan is diff.ts, the transaction is apply.ts, and refresh reads one catalog
 * snapshot shared by every resource of the process (snapshot-cache.ts).
 *
 * Credentials: the connection string is a (secret) input, stored encrypted in
 * state and declared in `additionalSecretOutputs`; nothing here reads it at
 * module load or keeps it in a closure.
 */
import type * as pulumi from "@pulumi/pulumi";
import { applyTable, dropManagedPolicies, type PreviousApply } from "./apply";
import { MISSING_TABLE, type LiveTableState } from "./catalog";
import { declaredChanges, describeDrift } from "./diff";
import { checkRlsTableInputs, type RlsTableInputs } from "./inputs";
import { invalidateSnapshots, sharedSnapshot } from "./snapshot-cache";
import type { IdentifiedProvider } from "../lib/dynamic/types";

export type { RlsTableInputs } from "./inputs";

/** The id the serialized loader asks the provider entry for (infra/lib/dynamic/entry.ts). */
export const RLS_TABLE_PROVIDER_ID = "runbooks:rls:RlsTable";

export interface RlsTableOutputs extends RlsTableInputs {
  /** The table as the last apply committed it (expressions normalized by Postgres). */
  expected: LiveTableState;
  /** The table as last seen: after the last apply or refresh. */
  live: LiveTableState;
  /** Differences between `expected` and `live`, one sentence each; empty when in sync. */
  drift: string[];
}

export interface RlsProviderOptions {
  /** Scope of the shared catalog snapshot; one per simulated pulumi command in tests. */
  cacheScope?: string;
  /** How long a refresh snapshot may be reused, in ms. */
  snapshotMaxAgeMs?: number;
}

function lockOptions(p: RlsTableInputs) {
  return { lockTimeoutSeconds: p.lockTimeoutSeconds, lockRetries: p.lockRetries };
}

function outputs(inputs: RlsTableInputs, live: LiveTableState): RlsTableOutputs {
  return { ...inputs, expected: live, live, drift: [] };
}

export type RlsTableProvider = IdentifiedProvider<RlsTableInputs, RlsTableOutputs> &
  Required<
    Pick<
      pulumi.dynamic.ResourceProvider<RlsTableInputs, RlsTableOutputs>,
      "check" | "diff" | "read" | "update" | "delete"
    >
  >;

/** A fresh provider. The program uses one; tests make one per simulated pulumi command. */
export function createRlsTableProvider(options: RlsProviderOptions = {}): RlsTableProvider {
  const scope = options.cacheScope ?? "rls";
  const maxAgeMs = options.snapshotMaxAgeMs ?? 60_000;
  return {
    providerId: RLS_TABLE_PROVIDER_ID,

    async check(_olds, news) {
      return checkRlsTableInputs(news as unknown as Record<string, unknown>);
    },

    async diff(_id, olds, news) {
      const replaces: string[] = [];
      if (olds.schema !== news.schema) replaces.push("schema");
      if (olds.table !== news.table) replaces.push("table");
      const changed = [
        // A new providerVersion alone is not a change: the diff compares the
        // declaration, so code that would write different SQL shows up here,
        // and an update of every table at each release would only take locks.
        // The new version still reaches state (a no-change step keeps new inputs).
        ...declaredChanges(olds, news),
        // A new password must reach state, or a later delete would use the old one.
        ...(olds.connection !== news.connection ? ["connection"] : []),
        ...(describeDrift(olds.expected ?? MISSING_TABLE, olds.live ?? MISSING_TABLE).length > 0
          ? ["live"]
          : []),
      ];
      return {
        changes: replaces.length > 0 || changed.length > 0,
        replaces,
        deleteBeforeReplace: false,
      };
    },

    async create(inputs) {
      const result = await applyTable(inputs.connection, inputs, undefined, lockOptions(inputs));
      invalidateSnapshots(scope, inputs.connection);
      return { id: `${inputs.schema}.${inputs.table}`, outs: outputs(inputs, result.live) };
    },

    async read(id, props) {
      if (!props)
        throw new Error(
          `cannot import RLS table ${id}: declare it in runbooks:rls.tables and run pulumi up`,
        );
      const snapshot = await sharedSnapshot(
        scope,
        maxAgeMs,
        props.connection,
        props.catalogSchemas ?? [props.schema],
      );
      const live = snapshot.get(`${props.schema}.${props.table}`) ?? MISSING_TABLE;
      // A dropped table takes its policies with it: the resource is gone, and
      // the next `up` says so (TableMissingError) instead of pretending.
      if (!live.exists) return {};
      return {
        id,
        props: { ...props, live, drift: describeDrift(props.expected ?? MISSING_TABLE, live) },
      };
    },

    async update(_id, olds, news) {
      const previous: PreviousApply = {
        policies: olds.policies,
        expected: olds.expected ?? MISSING_TABLE,
      };
      const result = await applyTable(news.connection, news, previous, lockOptions(news));
      invalidateSnapshots(scope, news.connection);
      return { outs: outputs(news, result.live) };
    },

    async delete(_id, props) {
      const managed = new Set([
        ...props.policies.map((p) => p.name),
        ...(props.expected?.policies ?? []).map((p) => p.name),
      ]);
      await dropManagedPolicies(props.connection, props, [...managed], lockOptions(props));
      invalidateSnapshots(scope, props.connection);
    },
  };
}
