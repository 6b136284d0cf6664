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
 * Why refresh is still one query: `read` asks a catalog snapshot shared by
 * every resource in this provider process (keyed by connection and schemas),
 * so a refresh of 250 tables issues one catalog query, not 250. Writes through
 * this process invalidate it; each pulumi command is a fresh process.
 *
 * Credentials: the connection string is a (secret) input, stored encrypted in
 * state and declared in `additionalSecretOutputs`; nothing here reads it at
 * module load or keeps it in a closure, and `pg` is required inside methods.
 */
import type * as pulumi from "@pulumi/pulumi";
import { applyTable, dropManagedPolicies, type PreviousApply } from "./apply";
import {
  MISSING_TABLE,
  readCatalogSnapshot,
  type CatalogSnapshot,
  type LiveTableState,
} from "./catalog";
import { connectionKey, withConnection } from "../postgres/client";
import { declaredChanges, describeDrift } from "./diff";
import { analyzeExpression, describeProblem, identifierProblem } from "./expressions";
import { RLS_COMMANDS, RLS_MODES, type PolicySpec, type RlsCommand } from "./model";
import { allowedClauses } from "./sql";

/** Inputs of one RLS table resource, as the engine passes them (secrets already unwrapped). */
export interface RlsTableInputs {
  schema: string;
  table: string;
  enabled: boolean;
  force: boolean;
  policies: PolicySpec[];
  /** Admin/owner connection string. Secret. */
  connection: string;
  lockTimeoutSeconds: number;
  lockRetries: number;
  /** Every schema the stack declares tables in: the scope of the shared refresh snapshot. */
  catalogSchemas: string[];
  /** Changes whenever the provider code changes, so the new code re-applies (see FIELD-NOTES). */
  providerVersion: string;
}

export interface RlsTableOutputs extends RlsTableInputs {
  /** The table as the last apply committed it (expressions normalized by Postgres). */
  expected: LiveTableState;
  /** The table as last seen: after the last apply or refresh. */
  live: LiveTableState;
  /** Differences between `expected` and `live`, one sentence each; empty when in sync. */
  drift: string[];
}

/** Engine placeholder for values not known during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface RlsProviderOptions {
  /** Scope of the shared catalog snapshot; one per simulated pulumi command in tests. */
  cacheScope?: string;
  /** How long a refresh snapshot may be reused, in ms. */
  snapshotMaxAgeMs?: number;
}

interface SnapshotEntry {
  at: number;
  snapshot: Promise<CatalogSnapshot>;
}

function snapshotRegistry(): Map<string, SnapshotEntry> {
  const holder = globalThis as unknown as { __runbooksRlsSnapshots?: Map<string, SnapshotEntry> };
  if (!holder.__runbooksRlsSnapshots) holder.__runbooksRlsSnapshots = new Map();
  return holder.__runbooksRlsSnapshots;
}

function snapshotKeyPrefix(scope: string, connection: string): string {
  return `${scope}|${connectionKey(connection)}|`;
}

function sharedSnapshot(
  scope: string,
  maxAgeMs: number,
  connection: string,
  schemas: string[],
): Promise<CatalogSnapshot> {
  const registry = snapshotRegistry();
  const key = `${snapshotKeyPrefix(scope, connection)}${[...schemas].sort().join(",")}`;
  const cached = registry.get(key);
  if (cached && Date.now() - cached.at < maxAgeMs) return cached.snapshot;
  const snapshot = withConnection(
    { connectionString: connection, applicationName: "runbooks-rls" },
    "read the RLS catalog",
    (client) => readCatalogSnapshot(client, schemas),
  );
  registry.set(key, { at: Date.now(), snapshot });
  snapshot.catch(() => registry.delete(key));
  return snapshot;
}

function invalidateSnapshots(scope: string, connection: string): void {
  const prefix = snapshotKeyPrefix(scope, connection);
  for (const key of [...snapshotRegistry().keys()])
    if (key.startsWith(prefix)) snapshotRegistry().delete(key);
}

function isKnown(value: unknown): boolean {
  return value !== UNKNOWN;
}

/** Validate and canonicalize inputs. Pure apart from the (WASM) parser; never touches the database. */
export async function checkInputs(
  news: Record<string, unknown>,
): Promise<{ inputs: RlsTableInputs; failures: pulumi.dynamic.CheckFailure[] }> {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  for (const key of ["schema", "table"] as const) {
    const value = news[key];
    if (!isKnown(value)) continue;
    if (typeof value !== "string") fail(key, "must be a string");
    else {
      const problem = identifierProblem(value);
      if (problem) fail(key, `'${value}' ${problem}`);
    }
  }
  for (const key of ["enabled", "force"] as const) {
    if (news[key] !== undefined && isKnown(news[key]) && typeof news[key] !== "boolean")
      fail(key, "must be true or false");
  }
  if (
    isKnown(news.connection) &&
    (typeof news.connection !== "string" || news.connection.length === 0)
  ) {
    fail(
      "connection",
      "must be a Postgres connection string (set the secret named by runbooks:database.urlSecretRef)",
    );
  }
  const timeout = news.lockTimeoutSeconds;
  if (isKnown(timeout) && (typeof timeout !== "number" || !(timeout > 0 && timeout <= 600)))
    fail("lockTimeoutSeconds", "must be a number of seconds in (0, 600]");
  const retries = news.lockRetries;
  if (
    isKnown(retries) &&
    (typeof retries !== "number" || !Number.isInteger(retries) || retries < 0 || retries > 50)
  )
    fail("lockRetries", "must be an integer from 0 to 50");

  const policies: PolicySpec[] = [];
  const rawPolicies = news.policies;
  if (isKnown(rawPolicies) && !Array.isArray(rawPolicies)) fail("policies", "must be a list");
  const list = Array.isArray(rawPolicies) ? (rawPolicies as Record<string, unknown>[]) : [];
  const names = new Set<string>();
  for (const [i, raw] of list.entries()) {
    const at = `policies[${i}]`;
    if (raw === null || typeof raw !== "object") {
      fail(at, "must be an object");
      continue;
    }
    const name = raw.name;
    if (typeof name !== "string") {
      fail(`${at}.name`, "must be a string");
      continue;
    }
    const nameProblem = identifierProblem(name);
    if (nameProblem) fail(`${at}.name`, `'${name}' ${nameProblem}`);
    if (name.startsWith("__runbooks_"))
      fail(`${at}.name`, `'${name}' uses the prefix this provider reserves for temporary policies`);
    if (names.has(name)) fail(`${at}.name`, `policy '${name}' is declared twice on this table`);
    names.add(name);
    const command = (raw.command ?? "ALL") as RlsCommand;
    if (!RLS_COMMANDS.includes(command))
      fail(`${at}.command`, `must be one of ${RLS_COMMANDS.join(", ")}`);
    const mode = (raw.mode ?? "PERMISSIVE") as PolicySpec["mode"];
    if (!RLS_MODES.includes(mode)) fail(`${at}.mode`, `must be one of ${RLS_MODES.join(", ")}`);
    const roles = Array.isArray(raw.roles) ? (raw.roles as unknown[]) : ["public"];
    if (roles.length === 0)
      fail(`${at}.roles`, "needs at least one role (use 'public' for every role)");
    for (const [j, role] of roles.entries()) {
      if (typeof role !== "string") fail(`${at}.roles[${j}]`, "must be a role name");
      else if (identifierProblem(role))
        fail(`${at}.roles[${j}]`, `'${role}' ${identifierProblem(role)}`);
    }
    const clauses = allowedClauses(RLS_COMMANDS.includes(command) ? command : "ALL");
    const expressions: Record<"using" | "withCheck", string | null> = {
      using: null,
      withCheck: null,
    };
    for (const clause of ["using", "withCheck"] as const) {
      const value = raw[clause];
      if (value === undefined || value === null) continue;
      const label = clause === "using" ? "USING" : "WITH CHECK";
      if (typeof value !== "string") {
        fail(`${at}.${clause}`, "must be a SQL expression string");
        continue;
      }
      if (!clauses[clause]) {
        fail(
          `${at}.${clause}`,
          `a ${command} policy cannot have ${label} (${command === "INSERT" ? "use withCheck" : "use using"})`,
        );
        continue;
      }
      const analysis = await analyzeExpression(value);
      if (analysis.problem) {
        fail(
          `${at}.${clause}`,
          `policy '${name}' ${label} does not parse: ${describeProblem(value, analysis.problem)}`,
        );
        continue;
      }
      expressions[clause] = analysis.wrapped;
    }
    if (
      expressions.using === null &&
      expressions.withCheck === null &&
      raw.using == null &&
      raw.withCheck == null
    ) {
      fail(at, `policy '${name}' needs using, withCheck or both`);
    }
    const spec: PolicySpec = {
      name,
      command,
      mode,
      roles: [...new Set(roles.filter((r): r is string => typeof r === "string"))].sort(),
      using: expressions.using,
      withCheck: expressions.withCheck,
    };
    if (typeof raw.renamedFrom === "string") spec.renamedFrom = raw.renamedFrom;
    policies.push(spec);
  }
  policies.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const catalogSchemas = Array.isArray(news.catalogSchemas)
    ? [...new Set(news.catalogSchemas as string[])].sort()
    : [String(news.schema)];
  const inputs = {
    ...(news as unknown as RlsTableInputs),
    enabled: news.enabled ?? true,
    force: news.force ?? true,
    policies: isKnown(rawPolicies) ? policies : (rawPolicies as PolicySpec[]),
    catalogSchemas,
  } as RlsTableInputs;
  return { inputs, failures };
}

function lockOptions(p: RlsTableInputs) {
  return { lockTimeoutSeconds: p.lockTimeoutSeconds, lockRetries: p.lockRetries };
}

function outputs(inputs: RlsTableInputs, live: LiveTableState): RlsTableOutputs {
  return { ...inputs, expected: live, live, drift: [] };
}

/** A fresh provider. The program uses one; tests make one per simulated pulumi command. */
export function createRlsTableProvider(
  options: RlsProviderOptions = {},
): pulumi.dynamic.ResourceProvider<RlsTableInputs, RlsTableOutputs> {
  const scope = options.cacheScope ?? "rls";
  const maxAgeMs = options.snapshotMaxAgeMs ?? 60_000;
  return {
    async check(_olds, news) {
      const { inputs, failures } = await checkInputs(news as unknown as Record<string, unknown>);
      return { inputs, failures };
    },

    async diff(_id, olds, news) {
      const replaces: string[] = [];
      if (olds.schema !== news.schema) replaces.push("schema");
      if (olds.table !== news.table) replaces.push("table");
      const changed = [
        ...declaredChanges(olds, news),
        ...(olds.providerVersion !== news.providerVersion ? ["providerVersion"] : []),
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
