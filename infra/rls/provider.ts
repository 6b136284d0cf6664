/**
 * The dynamic provider behind `RlsTable`: one resource per table, holding
 * every policy and the API roles' privileges of that table.
 *
 * Why per table: Postgres takes an ACCESS EXCLUSIVE lock on the table for any
 * policy DDL, so the table is the natural unit of a transaction — all of its
 * policies change together or not at all, and tables never wait on each other.
 * Per-policy resources would need a transaction spanning resources, which the
 * engine cannot give; per-schema resources would lock every table at once.
 *
 * Why `diff` reads the database: the declaration is compared with the LIVE
 * table, not with what the last apply recorded, so `pulumi up` (no refresh)
 * drops a policy added by hand, restores an edited one, and converges after
 * an `up` that was killed between a commit and its checkpoint. All of check,
 * diff and refresh share one catalog snapshot per command (snapshot-cache.ts):
 * a no-op `up` costs one catalog query and no DDL. What diff finds is printed
 * (the engine shows a dynamic provider's output as diagnostics), one line per
 * table, so preview and up say why a table changes without `--diff`.
 *
 * The shell is thin: `check` is inputs.ts (the config's zod schemas) plus
 * catalog-check.ts against the snapshot, the plan is diff.ts, the transaction
 * is apply.ts.
 *
 * Credentials: the connection string is a (secret) input, stored encrypted in
 * state and declared in `additionalSecretOutputs`; nothing here reads it at
 * module load or keeps it in a closure.
 */
import type * as pulumi from "@pulumi/pulumi";
import { applyTable, dropManagedPolicies } from "./apply";
import { MISSING_TABLE, type LiveTableState } from "./catalog";
import { catalogFailures } from "./catalog-check";
import { decideDiff, type DiffDecision } from "./decide";
import { describeDrift } from "./diff";
import { UNKNOWN, checkRlsTableInputs, type RlsTableInputs } from "./inputs";
import { tableKey } from "./model";
import { recordApplied, sharedSnapshot } from "./snapshot-cache";
import {
  appliedOutputs,
  committedState,
  managedOnly,
  managedPolicyNames,
  previousApply,
  type RlsTableOutputs,
} from "./stored";
import type { IdentifiedProvider } from "../lib/dynamic/types";

export type { RlsTableInputs } from "./inputs";
export type { RlsTableOutputs } from "./stored";

/** The id the serialized loader asks the provider entry for (infra/lib/dynamic/entry.ts). */
export const RLS_TABLE_PROVIDER_ID = "runbooks:rls:RlsTable";

export interface RlsProviderOptions {
  /** Scope of the shared catalog snapshot; one per simulated pulumi command in tests. */
  cacheScope?: string;
  /** How long a snapshot may be reused, in ms. */
  snapshotMaxAgeMs?: number;
  /** Where diff and read say what they found; the engine shows the provider's stdout. */
  report?: (line: string) => void;
}

/** What diff decided, and why: the reasons are what preview and up print. */
export type RlsDiffResult = DiffDecision & { deleteBeforeReplace: boolean };

/** What reading the catalog needs: inputs and outputs of either form both have it. */
type CatalogScope = Pick<
  RlsTableInputs,
  "connection" | "catalogSchemas" | "schema" | "lockTimeoutSeconds" | "lockRetries"
>;

function lockOptions(p: CatalogScope) {
  return { lockTimeoutSeconds: p.lockTimeoutSeconds, lockRetries: p.lockRetries };
}

/** What a refresh records: the live table and its drift, or neither when there is none. */
function refreshed(props: RlsTableOutputs, live: LiveTableState, drift: string[]): RlsTableOutputs {
  const { live: _previous, ...rest } = props;
  return drift.length > 0
    ? { ...rest, live: managedOnly(live, props), drift }
    : { ...rest, drift: [] };
}

function known(value: unknown): value is string {
  return typeof value === "string" && value !== UNKNOWN && value.length > 0;
}

function grantees(p: Pick<RlsTableInputs, "privileges">): string[] {
  return Object.keys(p.privileges ?? {});
}

export type RlsTableProvider = IdentifiedProvider<RlsTableInputs, RlsTableOutputs> &
  Required<
    Pick<
      pulumi.dynamic.ResourceProvider<RlsTableInputs, RlsTableOutputs>,
      "check" | "read" | "update" | "delete"
    >
  > & {
    diff(id: string, olds: RlsTableOutputs, news: RlsTableInputs): Promise<RlsDiffResult>;
  };

/** A fresh provider. The program uses one; tests make one per simulated pulumi command. */
export function createRlsTableProvider(options: RlsProviderOptions = {}): RlsTableProvider {
  const scope = options.cacheScope ?? "rls";
  const maxAgeMs = options.snapshotMaxAgeMs ?? 60_000;
  const report = options.report ?? ((line: string) => console.log(line));
  const snapshot = (p: CatalogScope) =>
    sharedSnapshot(scope, maxAgeMs, p.connection, p.catalogSchemas ?? [p.schema], lockOptions(p));

  return {
    providerId: RLS_TABLE_PROVIDER_ID,

    async check(_olds, news) {
      const result = await checkRlsTableInputs(news as unknown as Record<string, unknown>);
      const { inputs } = result;
      // Read-only and only when everything it needs is known (preview may not know the URL yet).
      if (
        result.failures.length > 0 ||
        !known(inputs.connection) ||
        !Array.isArray(inputs.policies) ||
        !known(inputs.schema) ||
        !known(inputs.table)
      )
        return result;
      try {
        return { inputs, failures: await catalogFailures(inputs, await snapshot(inputs)) };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return {
          inputs,
          failures: [{ property: "connection", reason: `could not check the table: ${message}` }],
        };
      }
    },

    async diff(id, olds, news) {
      const live =
        known(news.connection) && Array.isArray(news.policies)
          ? ((await snapshot(news)).tables.get(tableKey(news)) ?? MISSING_TABLE)
          : undefined;
      const decision = decideDiff(olds, news, live);
      if (decision.changes) report(`rls ${id}: ${decision.reasons.join(". ")}`);
      return { ...decision, deleteBeforeReplace: false };
    },

    async create(inputs) {
      const result = await applyTable(inputs.connection, inputs, undefined, lockOptions(inputs));
      await recordApplied(scope, inputs.connection, tableKey(inputs), result.live);
      return { id: tableKey(inputs), outs: appliedOutputs(inputs, result.live) };
    },

    async read(id, props) {
      if (!props || !known(props.connection))
        throw new Error(
          `RLS table ${id} cannot be adopted with pulumi import: Pulumi's dynamic providers get no ` +
            `provider code on import (pulumi/pulumi#16175). Adopt it instead: print its declaration with ` +
            `npm run rls:import -- --database-url <url> --schemas <schema>, add it to runbooks:rls.tables, ` +
            `and run pulumi up; the create finds the table already as declared and changes nothing.`,
        );
      const live = (await snapshot(props)).tables.get(tableKey(props)) ?? MISSING_TABLE;
      // A dropped table takes its policies with it: the resource is gone, and
      // the next `up` says so (check: the table does not exist) instead of pretending.
      if (!live.exists) return {};
      const drift = describeDrift(committedState(props), live, grantees(props));
      if (drift.length > 0) report(`rls ${id}: drift: ${drift.join("; ")}`);
      return { id, props: refreshed(props, live, drift) };
    },

    async update(_id, olds, news) {
      const result = await applyTable(
        news.connection,
        news,
        previousApply(olds),
        lockOptions(news),
      );
      await recordApplied(scope, news.connection, tableKey(news), result.live);
      return { outs: appliedOutputs(news, result.live) };
    },

    async delete(_id, props) {
      await dropManagedPolicies(
        props.connection,
        props,
        managedPolicyNames(props),
        lockOptions(props),
      );
    },
  };
}
