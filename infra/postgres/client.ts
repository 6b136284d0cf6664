/**
 * The one Postgres client module for the dynamic providers and the commands.
 *
 * Why it looks like this:
 * - Nothing here holds a connection or reads credentials when the module
 *   loads: the connection string arrives with each call. Pools are keyed by a
 *   hash of the connection string, so every resource in one provider process
 *   shares them instead of reconnecting (SCRAM authentication is slow on purpose).
 * - Every error leaving this module says what we were doing, on which
 *   database (password redacted), and carries the SQLSTATE so callers can
 *   tell a lock timeout from a syntax error. Driver messages are scrubbed of
 *   the connection string before they travel on.
 */
import type { Pool, PoolClient, QueryResult } from "pg";
import { redactSecrets } from "../lib/redact";
import { describeTarget } from "./connection";

/** A SQLSTATE-carrying error with the context it happened in, safe to print. */
export class PostgresError extends Error {
  constructor(
    message: string,
    /** SQLSTATE, e.g. `55P03` (lock_not_available); undefined for connection-level failures. */
    readonly code: string | undefined,
    /** What we were doing, e.g. `apply RLS on public.agents`. */
    readonly context: string,
    /** 1-based character position in the failing statement, when Postgres reported one. */
    readonly position?: number,
  ) {
    super(message);
    this.name = "PostgresError";
  }
}

/** SQLSTATEs that mean "someone else holds what we need; try again later". */
export const RETRYABLE_SQLSTATES: readonly string[] = ["55P03", "40P01", "40001"];

export function isRetryable(error: unknown): boolean {
  return (
    error instanceof PostgresError &&
    error.code !== undefined &&
    RETRYABLE_SQLSTATES.includes(error.code)
  );
}

/** Where to connect and how this session names itself in pg_stat_activity. */
export interface PgTarget {
  connectionString: string;
  /** Shown in pg_stat_activity so an operator can tell who holds a lock. */
  applicationName?: string;
}

/** The slice of a pg client the rest of the code uses (a PoolClient or a Client). */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<QueryResult>;
}

/**
 * Every pool this process opened. Module state is shared by every resource of
 * a provider process, because the loader requires this file once.
 */
const pools = new Map<string, Pool>();

/** A stable, non-reversible key for a connection string (never the string itself). */
export function connectionKey(connectionString: string): string {
  const { createHash } = require("node:crypto") as typeof import("node:crypto");
  return createHash("sha256").update(connectionString).digest("hex").slice(0, 24);
}

export { describeTarget };

/** Remove the connection string, its password (however malformed the string) and any credential-looking part from a message. */
export function scrub(message: string, connectionString: string): string {
  return redactSecrets(message, [connectionString]);
}

function poolFor(target: PgTarget): Pool {
  const key = `${connectionKey(target.connectionString)}|${target.applicationName ?? ""}`;
  let pool = pools.get(key);
  if (!pool) {
    const pg = require("pg") as typeof import("pg");
    pool = new pg.Pool({
      connectionString: target.connectionString,
      application_name: target.applicationName ?? "runbooks",
      // The engine runs up to 16 resource operations at once; more connections
      // than that only contend for the same catalog locks.
      max: 8,
      idleTimeoutMillis: 2_000,
      connectionTimeoutMillis: 15_000,
      // A provider process or script must be able to exit with idle connections open.
      allowExitOnIdle: true,
    });
    // An idle client losing its server must not crash the process; the next checkout reconnects.
    pool.on("error", () => undefined);
    pools.set(key, pool);
  }
  return pool;
}

/** Translate a driver error into a PostgresError with context and no secrets. */
export function wrapError(error: unknown, context: string, target: PgTarget): PostgresError {
  if (error instanceof PostgresError) return error;
  const e = error as {
    message?: string;
    code?: string;
    position?: string;
    detail?: string;
    hint?: string;
  };
  const parts = [e.message ?? String(error)];
  if (e.detail) parts.push(`detail: ${e.detail}`);
  if (e.hint) parts.push(`hint: ${e.hint}`);
  const sqlstate = typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  const where = describeTarget(target.connectionString);
  const message = scrub(
    `${context} (${where}): ${parts.join("; ")}${sqlstate ? ` [SQLSTATE ${sqlstate}]` : ""}`,
    target.connectionString,
  );
  const position = e.position !== undefined ? Number(e.position) : undefined;
  return new PostgresError(
    message,
    sqlstate,
    context,
    Number.isFinite(position) ? position : undefined,
  );
}

/** Run `fn` with a pooled connection; errors come out as PostgresError. */
export async function withConnection<T>(
  target: PgTarget,
  context: string,
  fn: (client: Queryable) => Promise<T>,
): Promise<T> {
  let client: PoolClient;
  try {
    client = await poolFor(target).connect();
  } catch (error) {
    throw wrapError(error, `${context}: could not connect`, target);
  }
  let broken: Error | undefined;
  // The pool's own error listener is detached while a client is checked out, so a
  // server that drops this session (pg_terminate_backend, a failover, a pooler
  // restart) would otherwise be an uncaught 'error' event that kills the process
  // with a stack trace instead of the error below. The failing query (or the next
  // one) still rejects, and the client is discarded.
  const onError = (error: Error) => {
    broken ??= error;
  };
  client.on("error", onError);
  try {
    return await fn(guard(client, context, target));
  } catch (error) {
    // A query error (SQLSTATE set) leaves a usable connection; anything else —
    // a dropped socket, or our own error mid-transaction — and we discard it.
    if (!(error instanceof PostgresError) || error.code === undefined) broken ??= error as Error;
    throw error;
  } finally {
    client.off("error", onError);
    client.release(broken);
  }
}

/**
 * Run `fn` inside BEGIN … COMMIT. Any error rolls back, so a failure leaves
 * the database as it was. `fn` may ask for a rollback instead of a commit by
 * returning `{ rollback: true }` (dry runs, normalization, the smoke test).
 */
export async function withTransaction<T>(
  target: PgTarget,
  context: string,
  fn: (client: Queryable) => Promise<T>,
  options: { rollback?: boolean } = {},
): Promise<T> {
  return withConnection(target, context, async (client) => {
    await client.query("BEGIN");
    let result: T;
    try {
      result = await fn(client);
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
    await client.query(options.rollback ? "ROLLBACK" : "COMMIT");
    return result;
  });
}

/** Wrap a client so every failing query raises a PostgresError naming the context. */
function guard(client: PoolClient, context: string, target: PgTarget): Queryable {
  return {
    async query(text: string, values?: unknown[]) {
      try {
        return await client.query(text, values as unknown[]);
      } catch (error) {
        throw wrapError(error, context, target);
      }
    },
  };
}

/** Close every pool this process opened (tests, benchmarks and scripts call it at the end). */
export async function closePools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.end().catch(() => undefined)));
}
