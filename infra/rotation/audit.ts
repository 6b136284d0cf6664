/**
 * The rotation audit log: append-only JSON lines, each entry chained to the
 * SHA-256 of the one before, so an edited, removed or reordered line breaks
 * every hash after it. Entries name credentials, generations, ids, sinks and
 * deployments — never a value.
 *
 * Stores: a local file (the `local` stack) or objects in the backup bucket
 * (audit-s3.ts). The file store appends under an exclusive lock file, because
 * the engine runs several rotation steps of one provider process at once and
 * `npm run rotate:audit` may read while a rotation writes.
 */
import { createHash } from "node:crypto";
import { FileAuditStore } from "./audit-file";
import { S3AuditStore } from "./audit-s3";

export type AuditEvent =
  "created" | "pushed" | "deployed" | "verified" | "revoked" | "expired" | "rolled-back" | "failed";

export interface AuditFields {
  stack: string;
  credential: string;
  event: AuditEvent;
  generation?: number;
  /** Non-secret facts: ids, sink names, deployment ids, reasons. */
  detail?: Record<string, unknown>;
}

export interface AuditEntry extends AuditFields {
  seq: number;
  at: string;
  /** Hash of the previous entry ("" for the first). */
  prev: string;
  hash: string;
}

/** The hash of an entry: SHA-256 over its fields in a fixed order (never the hash field itself). */
export function entryHash(e: Omit<AuditEntry, "hash">): string {
  const canonical = JSON.stringify([
    e.seq,
    e.at,
    e.stack,
    e.credential,
    e.event,
    e.generation ?? null,
    canonicalize(e.detail ?? {}),
    e.prev,
  ]);
  return createHash("sha256").update(canonical).digest("hex");
}

function canonicalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalize);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value as object)
      .sort()
      .map((k) => [k, canonicalize((value as Record<string, unknown>)[k])]),
  );
}

export function nextEntry(last: AuditEntry | undefined, fields: AuditFields, at: Date): AuditEntry {
  const base = {
    seq: (last?.seq ?? 0) + 1,
    at: at.toISOString(),
    ...fields,
    prev: last?.hash ?? "",
  };
  return { ...base, hash: entryHash(base) };
}

export interface ChainProblem {
  /** 1-based line (or object) number. */
  line: number;
  message: string;
}

/** Every break in the chain: a bad line, a wrong hash, a gap, a reorder. */
export function verifyChain(lines: readonly string[]): {
  entries: AuditEntry[];
  problems: ChainProblem[];
} {
  const entries: AuditEntry[] = [];
  const problems: ChainProblem[] = [];
  let prev: AuditEntry | undefined;
  lines.forEach((text, i) => {
    const line = i + 1;
    if (text.trim() === "") return;
    let e: AuditEntry;
    try {
      e = JSON.parse(text) as AuditEntry;
    } catch {
      problems.push({ line, message: "is not JSON" });
      return;
    }
    const { hash, ...rest } = e;
    if (entryHash(rest) !== hash)
      problems.push({ line, message: `entry ${e.seq} does not match its hash (edited)` });
    if (e.prev !== (prev?.hash ?? ""))
      problems.push({
        line,
        message: `entry ${e.seq} does not follow entry ${prev?.seq ?? "(none)"} (removed, inserted or reordered)`,
      });
    if (e.seq !== (prev?.seq ?? 0) + 1)
      problems.push({ line, message: `sequence jumps from ${prev?.seq ?? 0} to ${e.seq}` });
    entries.push(e);
    prev = e;
  });
  return { entries, problems };
}

/** Where the log lives. */
export interface AuditStore {
  /** Append, chained to the current last entry; returns the entry written. */
  append(fields: AuditFields): Promise<AuditEntry>;
  /** Every line, as stored. */
  lines(): Promise<string[]>;
  /** Where, for messages. */
  describe(): string;
}

export type AuditLocation =
  | { kind: "file"; path: string }
  | { kind: "s3"; bucket: string; prefix: string; region: string; endpoint?: string };

/** A store for a location; the S3 client is required only when used. */
export function auditStore(location: AuditLocation): AuditStore {
  return location.kind === "file" ? new FileAuditStore(location.path) : new S3AuditStore(location);
}
