/**
 * One catalog snapshot shared by every resource in a provider process, so a
 * refresh of 250 tables issues one catalog query, not 250. Keyed by scope
 * (one per simulated pulumi command in tests), connection and schemas; a write
 * through this process invalidates its connection's entries, and each pulumi
 * command is a fresh process, so a snapshot never outlives the command that
 * read it by more than `maxAgeMs`.
 */
import { connectionKey, withConnection } from "../postgres/client";
import { readCatalogSnapshot, type CatalogSnapshot } from "./catalog";

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
): Promise<CatalogSnapshot> {
  const key = `${prefix(scope, connection)}${[...schemas].sort().join(",")}`;
  const cached = entries.get(key);
  if (cached && Date.now() - cached.at < maxAgeMs) return cached.snapshot;
  const snapshot = withConnection(
    { connectionString: connection, applicationName: "runbooks-rls" },
    "read the RLS catalog",
    (client) => readCatalogSnapshot(client, [...schemas]),
  );
  entries.set(key, { at: Date.now(), snapshot });
  snapshot.catch(() => entries.delete(key));
  return snapshot;
}

export function invalidateSnapshots(scope: string, connection: string): void {
  const p = prefix(scope, connection);
  for (const key of [...entries.keys()]) if (key.startsWith(p)) entries.delete(key);
}
