/**
 * Applying one table's RLS: one transaction per table, bounded by
 * `lock_timeout`, retried with backoff when something else holds the table.
 *
 * Inside the transaction:
 *  1. read the table's live state (no lock yet); if the plan is empty —
 *     expressions unchanged since the last apply (or, on a create, written
 *     exactly as Postgres prints them, as `rls:import` writes them) and
 *     nothing drifted — commit without ever locking the table;
 *  2. otherwise LOCK TABLE (ACCESS EXCLUSIVE, which every policy DDL takes
 *     anyway) so the state cannot move under us, read again;
 *  3. normalize the declared expressions that must be compared with live ones
 *     by creating them as temporary policies under a savepoint, reading
 *     `pg_get_expr` back and rolling the savepoint back;
 *  4. run the plan, read the result and check it converged;
 *  5. COMMIT. Any error anywhere rolls the whole table back.
 */
import { backoffMs, sleep } from "../lib/retry";
import {
  readTable,
  tableStateSqlFor,
  toLiveTableState,
  type LiveTableState,
  type TableStateRow,
} from "./catalog";
import { missingTableMessage } from "./catalog-check";
import { describeLockHolders } from "./lock-holders";
import {
  PostgresError,
  isRetryable,
  withConnection,
  type PgTarget,
  type Queryable,
} from "../postgres/client";
import {
  planTable,
  stepsToStatements,
  type DesiredPolicy,
  type DesiredTable,
  type NormalizedExpressions,
  textFingerprint,
  type Statement,
  type Step,
} from "./diff";
import type { PolicySpec } from "./model";
import type { PreviousApply } from "./stored";
import {
  createPolicySql,
  dropPolicySql,
  lockTableSql,
  lockTimeoutSql,
  qualifiedTable,
} from "./sql";

export interface LockOptions {
  /** Seconds each lock acquisition may wait (`lock_timeout`). */
  lockTimeoutSeconds: number;
  /** Further attempts after a lock timeout or deadlock. */
  lockRetries: number;
}

export interface ApplyResult {
  /** The table as the transaction committed it. */
  live: LiveTableState;
  steps: Step[];
  statements: string[];
  /** 1 when the first attempt got its locks. */
  attempts: number;
}

/** The table is not there: migrations create tables, this provider does not. */
export class TableMissingError extends Error {
  constructor(t: { schema: string; table: string }) {
    const message = missingTableMessage(t);
    super(message);
    this.name = "TableMissingError";
  }
}

/** Gave up waiting for a lock; the table is unchanged. */
export class LockTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LockTimeoutError";
  }
}

const NORMALIZE_PREFIX = "__runbooks_normalize_";

/** Lock waits: 250 ms doubling to 5 s, with jitter so parallel tables do not retry in lockstep. */
export const LOCK_BACKOFF = { baseMs: 250, maxMs: 5_000, jitterMs: 100 } as const;

function target(connectionString: string): PgTarget {
  return { connectionString, applicationName: "runbooks-rls" };
}

/**
 * Run `attempt` in a fresh transaction with `lock_timeout`, retrying lock
 * timeouts, deadlocks and serialization failures with exponential backoff.
 */
export async function withLockRetries<T>(
  connectionString: string,
  t: { schema: string; table: string },
  context: string,
  options: LockOptions,
  attempt: (client: Queryable) => Promise<T>,
): Promise<{ result: T; attempts: number }> {
  const maxAttempts = options.lockRetries + 1;
  for (let n = 1; ; n++) {
    try {
      const result = await withConnection(target(connectionString), context, async (client) => {
        const tx = lazyTransaction(client, `BEGIN; ${lockTimeoutSql(options.lockTimeoutSeconds)}`);
        try {
          const value = await attempt(tx);
          if (tx.begun()) await client.query("COMMIT");
          return value;
        } catch (error) {
          if (tx.begun()) await client.query("ROLLBACK").catch(() => undefined);
          throw error;
        }
      });
      return { result, attempts: n };
    } catch (error) {
      if (!isRetryable(error)) throw error;
      if (n >= maxAttempts) {
        const blockers = await describeLockHolders(connectionString, { table: t }).catch(() => "");
        throw new LockTimeoutError(
          `${context}: could not get a lock on ${t.schema}.${t.table} within ${options.lockTimeoutSeconds} s ` +
            `in ${maxAttempts} attempt(s); nothing was changed (the transaction rolled back).` +
            (blockers ? ` Holding a conflicting lock: ${blockers}.` : "") +
            ` Wait for it to finish (a backup, a migration, a long query) and re-run, or raise runbooks:database.lockTimeoutSeconds / lockRetries.`,
        );
      }
      await sleep(backoffMs(n, LOCK_BACKOFF));
    }
  }
}

/**
 * A client whose first statement carries `BEGIN; SET LOCAL lock_timeout …` in
 * the same simple-protocol round trip: one round trip fewer per table, which
 * is a tenth of the work when a table's whole change is three of them.
 */
function lazyTransaction(client: Queryable, begin: string): Queryable & { begun(): boolean } {
  let begun = false;
  return {
    begun: () => begun,
    async query(text: string, values?: unknown[]) {
      if (begun) return client.query(text, values);
      begun = true;
      if (values !== undefined && values.length > 0) {
        await client.query(begin);
        return client.query(text, values);
      }
      const rest = resultsOf(await client.query(`${begin};\n${text}`)).slice(2);
      return (rest.length === 1 ? rest[0] : rest) as Awaited<ReturnType<Queryable["query"]>>;
    },
  };
}

type MultiResult = { rows: unknown[] }[];

/** Results of a simple-protocol query: an array when it held several statements. */
function resultsOf(result: unknown): MultiResult {
  return (Array.isArray(result) ? result : [result]) as MultiResult;
}

/**
 * LOCK TABLE and read its state in one round trip. Every policy DDL takes
 * ACCESS EXCLUSIVE anyway; taking it first means the state we plan from
 * cannot move, and the wait is bounded by lock_timeout.
 */
async function lockAndRead(
  client: Queryable,
  t: { schema: string; table: string },
): Promise<LiveTableState> {
  try {
    const results = resultsOf(await client.query(`${lockTableSql(t)};\n${tableStateSqlFor(t)}`));
    return toLiveTableState(results[results.length - 1]!.rows[0] as TableStateRow | undefined);
  } catch (error) {
    if (error instanceof PostgresError && error.code === "42P01") throw new TableMissingError(t);
    throw error;
  }
}

/**
 * The plan's statements and the read-back in one round trip. Postgres runs a
 * multi-statement query inside our transaction; on error, the position it
 * reports says which statement (and so which step) failed.
 */
async function runPlan(
  client: Queryable,
  t: { schema: string; table: string },
  statements: Statement[],
): Promise<LiveTableState> {
  const texts = [...statements.map((s) => s.sql), tableStateSqlFor(t)];
  const separator = ";\n";
  try {
    const results = resultsOf(await client.query(texts.join(separator)));
    return toLiveTableState(results[results.length - 1]!.rows[0] as TableStateRow | undefined);
  } catch (error) {
    if (!(error instanceof PostgresError)) throw error;
    const failing =
      error.position !== undefined ? statementAt(texts, separator, error.position - 1) : undefined;
    const step = failing !== undefined ? statements[failing] : undefined;
    if (!step) throw new UnattributedPlanError(error, statements);
    throw new PostgresError(
      `${t.schema}.${t.table}: ${step.purpose}: ${error.message}\n  statement: ${step.sql}`,
      error.code,
      error.context,
      error.position,
    );
  }
}

/** A plan failed and Postgres gave no position (CREATE POLICY errors carry none). */
class UnattributedPlanError extends Error {
  constructor(
    override readonly cause: PostgresError,
    readonly statements: Statement[],
  ) {
    super(cause.message);
    // Set explicitly: captured by Pulumi's closure serializer, this class becomes `Error.call(this, …)`, which sets no message.
    this.message = cause.message;
    this.name = "UnattributedPlanError";
  }
}

/**
 * Find which statement of a failed plan is at fault by replaying it one
 * statement at a time in a transaction that is always rolled back.
 * Only the error path pays for this.
 */
async function attributeFailure(
  connectionString: string,
  t: { schema: string; table: string },
  failure: UnattributedPlanError,
  options: LockOptions,
): Promise<PostgresError> {
  const culprit = await withConnection(
    target(connectionString),
    `diagnose RLS on ${t.schema}.${t.table}`,
    async (client) => {
      await client.query(`BEGIN; ${lockTimeoutSql(options.lockTimeoutSeconds)}`);
      try {
        for (const statement of failure.statements) {
          try {
            await client.query(statement.sql);
          } catch {
            return statement;
          }
        }
        return undefined;
      } finally {
        await client.query("ROLLBACK");
      }
    },
  ).catch(() => undefined);
  const { cause } = failure;
  const detail = culprit
    ? `${culprit.purpose}: ${cause.message}\n  statement: ${culprit.sql}`
    : `${cause.message}\n  while running: ${[...new Set(failure.statements.map((s) => s.purpose))].join("; ")}`;
  return new PostgresError(
    `${t.schema}.${t.table}: ${detail}`,
    cause.code,
    cause.context,
    cause.position,
  );
}

/** Index of the statement containing a 0-based character offset of the joined text. */
export function statementAt(
  texts: readonly string[],
  separator: string,
  offset: number,
): number | undefined {
  let start = 0;
  for (const [i, text] of texts.entries()) {
    if (offset < start + text.length) return offset >= start ? i : undefined;
    start += text.length + separator.length;
  }
  return undefined;
}

/**
 * Attach normalized expressions we already know: a declared policy whose
 * expression text is what a previous apply declared (by the fingerprint
 * state keeps of it) has the normalization that apply read back. Its own
 * name first, then the name it was renamed from, then any other.
 */
export function knownNormalizations(
  policies: PolicySpec[],
  previous: PreviousApply | undefined,
): DesiredPolicy[] {
  if (!previous) return policies.map((p) => ({ ...p }));
  const expectedByName = new Map(previous.expected.policies.map((p) => [p.name, p]));
  const declaredNames = Object.keys(previous.declaredText);
  return policies.map((p) => {
    const text = textFingerprint(p);
    const candidates = [p.name, p.renamedFrom, ...declaredNames];
    for (const name of candidates) {
      if (!name || previous.declaredText[name] !== text) continue;
      const expected = expectedByName.get(name);
      if (expected)
        return { ...p, normalized: { using: expected.using, withCheck: expected.withCheck } };
    }
    return { ...p };
  });
}

/** Which declared policies must be normalized before they can be compared with live ones. */
function needingNormalization(desired: DesiredPolicy[], live: LiveTableState): DesiredPolicy[] {
  const desiredNames = new Set(desired.map((d) => d.name));
  const liveNames = new Set(live.policies.map((l) => l.name));
  const renameSources = live.policies.filter((l) => !desiredNames.has(l.name));
  return desired.filter(
    (d) =>
      d.normalized === undefined &&
      (liveNames.has(d.name) ||
        renameSources.some((l) => l.command === d.command && l.mode === d.mode)),
  );
}

/** Normalize by letting Postgres store the expressions as temporary policies, then rolling back. */
async function normalize(
  client: Queryable,
  t: { schema: string; table: string },
  policies: DesiredPolicy[],
): Promise<Map<string, NormalizedExpressions>> {
  const out = new Map<string, NormalizedExpressions>();
  if (policies.length === 0) return out;
  await client.query("SAVEPOINT runbooks_normalize");
  try {
    for (const [i, p] of policies.entries()) {
      await runStatement(
        client,
        createPolicySql(t, { ...p, name: `${NORMALIZE_PREFIX}${i}` }),
        `policy ${p.name} (a trial CREATE POLICY, rolled back, to normalize its expressions)`,
      );
    }
    const { rows } = await client.query(
      `select polname, pg_get_expr(polqual, polrelid) as using, pg_get_expr(polwithcheck, polrelid) as with_check
       from pg_policy where polrelid = $1::regclass and starts_with(polname, $2)`,
      [qualifiedTable(t), NORMALIZE_PREFIX],
    );
    for (const row of rows as {
      polname: string;
      using: string | null;
      with_check: string | null;
    }[]) {
      const index = Number(row.polname.slice(NORMALIZE_PREFIX.length));
      const p = policies[index];
      if (p) out.set(p.name, { using: row.using, withCheck: row.with_check });
    }
  } finally {
    await client.query("ROLLBACK TO SAVEPOINT runbooks_normalize").catch(() => undefined);
  }
  await client.query("RELEASE SAVEPOINT runbooks_normalize");
  return out;
}

/** Run one statement; a failure names the statement's purpose (which policy, which table). */
async function runStatement(client: Queryable, sql: string, purpose: string): Promise<void> {
  try {
    await client.query(sql);
  } catch (error) {
    if (error instanceof PostgresError) {
      throw new PostgresError(
        `${purpose}: ${error.message}\n  statement: ${sql}`,
        error.code,
        error.context,
        error.position,
      );
    }
    throw error;
  }
}

/** What still differs after the plan ran; empty when it converged. */
export function convergenceProblems(desired: DesiredTable, after: LiveTableState): string[] {
  const problems: string[] = [];
  if (after.enabled !== desired.enabled)
    problems.push(`row level security is ${after.enabled ? "on" : "off"}`);
  if (after.force !== desired.force) problems.push(`FORCE is ${after.force ? "on" : "off"}`);
  const byName = new Map(after.policies.map((p) => [p.name, p]));
  for (const d of desired.policies) {
    const l = byName.get(d.name);
    if (!l) {
      problems.push(`policy ${d.name} is missing`);
      continue;
    }
    if (l.command !== d.command || l.mode !== d.mode)
      problems.push(`policy ${d.name} is ${l.mode} ${l.command}`);
    if ([...l.roles].join() !== [...d.roles].sort().join())
      problems.push(`policy ${d.name} has roles ${l.roles.join(", ")}`);
    if (
      (l.using === null) !== (d.using === null) ||
      (l.withCheck === null) !== (d.withCheck === null)
    )
      problems.push(`policy ${d.name} has different clauses`);
    if (d.normalized && (d.normalized.using !== l.using || d.normalized.withCheck !== l.withCheck))
      problems.push(`policy ${d.name} expression differs from its normalized form`);
  }
  for (const l of after.policies)
    if (!desired.policies.some((d) => d.name === l.name))
      problems.push(`undeclared policy ${l.name} is still there`);
  for (const [role, want] of Object.entries(desired.privileges ?? {})) {
    const have = after.privileges?.[role] ?? [];
    if (want.join() !== [...have].join())
      problems.push(`${role} holds [${have.join(", ")}], declared [${want.join(", ")}]`);
  }
  return problems;
}

/** Bring one table to `desired`, in one transaction. */
export async function applyTable(
  connectionString: string,
  desired: DesiredTable,
  previous: PreviousApply | undefined,
  options: LockOptions,
): Promise<ApplyResult> {
  const name = `${desired.schema}.${desired.table}`;
  const run = withLockRetries(
    connectionString,
    desired,
    `apply RLS on ${name}`,
    options,
    async (client) => {
      let policies = knownNormalizations(desired.policies, previous);
      // An update usually changes nothing (new provider code, a rotated password), and
      // a create of an imported declaration finds it already true: find out without
      // taking the lock, so a running backup does not stall it and nothing is DDL.
      const unlocked = await readTable(client, desired);
      if (!unlocked.exists) throw new TableMissingError(desired);
      if (planTable({ ...desired, policies }, unlocked).length === 0) {
        return { live: unlocked, steps: [] as Step[], statements: [] as string[] };
      }
      const live = await lockAndRead(client, desired);
      if (!live.exists) throw new TableMissingError(desired);
      const normalized = await normalize(client, desired, needingNormalization(policies, live));
      policies = policies.map((p) =>
        normalized.has(p.name) ? { ...p, normalized: normalized.get(p.name) } : p,
      );
      const steps = planTable({ ...desired, policies }, live);
      if (steps.length === 0) return { live, steps, statements: [] as string[] };
      const statements = stepsToStatements(desired, steps);
      const after = await runPlan(client, desired, statements);
      const problems = convergenceProblems({ ...desired, policies }, after);
      if (problems.length > 0) {
        throw new Error(
          `${name} did not converge after applying (${problems.join("; ")}); rolled back, nothing was changed`,
        );
      }
      return { live: after, steps, statements: statements.map((s) => s.sql) };
    },
  );
  const { result, attempts } = await run.catch(async (error: unknown) => {
    throw error instanceof UnattributedPlanError
      ? await attributeFailure(connectionString, desired, error, options)
      : error;
  });
  return { ...result, attempts };
}

/**
 * Drop the policies the resource managed. RLS stays enabled (and forced):
 * removing a declaration must fail closed, never open the table.
 */
export async function dropManagedPolicies(
  connectionString: string,
  t: { schema: string; table: string },
  names: readonly string[],
  options: LockOptions,
): Promise<{ dropped: string[]; attempts: number }> {
  const run = withLockRetries(
    connectionString,
    t,
    `remove RLS policies from ${t.schema}.${t.table}`,
    options,
    async (client) => {
      const unlocked = await readTable(client, t);
      if (!unlocked.policies.some((p) => names.includes(p.name))) return [];
      const live = await lockAndRead(client, t);
      const present = live.policies.map((p) => p.name).filter((n) => names.includes(n));
      if (present.length > 0)
        await runPlan(
          client,
          t,
          present.map((n) => ({ sql: dropPolicySql(t, n), purpose: `drop policy ${n}` })),
        );
      return present;
    },
  );
  const { result, attempts } = await run.catch(async (error: unknown) => {
    throw error instanceof UnattributedPlanError
      ? await attributeFailure(connectionString, t, error, options)
      : error;
  });
  return { dropped: result, attempts };
}
