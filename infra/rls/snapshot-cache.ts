/**
 * One catalog snapshot shared by every resource in a provider process, so
 * check, diff and refresh of 250 tables issue one catalog query, not 750.
 * Keyed by scope (one per simulated pulumi command in tests), connection and
 * schemas. A write through this process puts the table's committed state into
 * the cached snapshots instead of discarding them: every other table is as it
 * was read, so an `up` that changes a few tables still reads the catalog once.
 * Each pulumi command is a fresh process, so a snapshot never outlives the
 * command that read it by more than `maxAgeMs`.
 */
import { backoffMs, sleep } from "../lib/retry";
import { connectionKey, isRetryable, withConnection } from "../postgres/client";
import { LOCK_BACKOFF, LockTimeoutError, type LockOptions } from "./apply";
import { readCatalogSnapshot, type CatalogSnapshot, type LiveTableState } from "./catalog";
import { describeLockHolders } from "./lock-holders";

interface Entry {
  at: number;
  snapshot: Promise<CatalogSnapshot>;
}

const entries = new Map<string, Entry>();

function prefix(scope: string, connection: string): string {
  return `${scope}|${connectionKey(connection)}|`;
}

export function sharedSnapshot(
  scope: string,
  maxAgeMs: number,
  connection: string,
  schemas: readonly string[],
  lock: LockOptions = { lockTimeoutSeconds: 5, lockRetries: 5 },
): Promise<CatalogSnapshot> {
  const key = `${prefix(scope, connection)}${[...schemas].sort().join(",")}`;
  const cached = entries.get(key);
  if (cached && Date.now() - cached.at < maxAgeMs) return cached.snapshot;
  const snapshot = readWithRetries(connection, [...schemas], lock);
  entries.set(key, { at: Date.now(), snapshot });
  snapshot.catch(() => entries.delete(key));
  return snapshot;
}

/**
 * The snapshot read, bounded like a DDL lock wait: a migration holding a
 * table exclusively delays it by at most lock_timeout per attempt, and the
 * last failure names who holds the lock.
 */
async function readWithRetries(
  connection: string,
  schemas: string[],
  lock: LockOptions,
): Promise<CatalogSnapshot> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withConnection(
        { connectionString: connection, applicationName: "runbooks-rls" },
        "read the RLS catalog",
        (client) => readCatalogSnapshot(client, schemas, lock.lockTimeoutSeconds * 1000),
      );
    } catch (error) {
      if (!isRetryable(error)) throw error;
      if (attempt > lock.lockRetries) {
        const holders = await describeLockHolders(connection, {
          exclusiveInSchemas: schemas,
        }).catch(() => "");
        throw new LockTimeoutError(
          `read the RLS catalog: a table of ${schemas.join(", ")} stayed locked for ${lock.lockTimeoutSeconds} s ` +
            `in ${attempt} attempt(s); nothing was changed.` +
            (holders ? ` Holding it: ${holders}.` : "") +
            ` Wait for it to finish (a migration, a long transaction) and re-run, or raise runbooks:database.lockTimeoutSeconds / lockRetries.`,
        );
      }
      await sleep(backoffMs(attempt, LOCK_BACKOFF));
    }
  }
}

/** Record what a write through this process committed for `schema.table`. */
export async function recordApplied(
  scope: string,
  connection: string,
  table: string,
  live: LiveTableState,
): Promise<void> {
  const p = prefix(scope, connection);
  for (const [key, entry] of entries) {
    if (!key.startsWith(p)) continue;
    const snapshot = await entry.snapshot.catch(() => undefined);
    if (snapshot?.tables.has(table)) snapshot.tables.set(table, live);
  }
}
