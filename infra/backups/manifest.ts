/**
 * A backup is a folder of objects plus a manifest that ties them together,
 * and a backup exists only once its manifest does: the manifest is written
 * after every dump object finished uploading, and `latest.json` after the
 * manifest. A crash at any point leaves at most a folder without a manifest,
 * which no reader treats as a backup.
 *
 *   <prefix>backups/<id>/db.dump            one stream (or 00-pre-data, 10-data-NN, 90-post-data)
 *   <prefix>backups/<id>/manifest.json      what, when, sizes, SHA-256s, row counts
 *   <prefix>latest.json                     the newest verified backup (a pointer, never a listing)
 *
 * Ids are UTC timestamps, so sorting keys sorts backups by time.
 */
import { z } from "zod";

export const MANIFEST_FORMAT = "runbooks-backup/1";
export const LATEST_FORMAT = "runbooks-latest/1";

/** Sections in restore order: pre-data creates tables, data fills them, post-data indexes and constrains. */
export const SECTIONS = ["all", "pre-data", "data", "post-data"] as const;
export type Section = (typeof SECTIONS)[number];

const objectSchema = z.object({
  key: z.string().min(1),
  section: z.enum(SECTIONS),
  /** `schema.table` of the tables this data stream holds (data sections only). */
  tables: z.array(z.string()).optional(),
  size: z.number().int().nonnegative(),
  /** SHA-256 (hex) of the object's bytes as stored. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const tableCountSchema = z.object({
  schema: z.string(),
  table: z.string(),
  rows: z.number().int().nonnegative(),
  /** true: count(*) in the dump's snapshot; false: the planner's estimate (reltuples). */
  exact: z.boolean(),
  /** Why a table below the exact-count threshold has an estimate instead (absent otherwise). */
  note: z.string().optional(),
});

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  id: z.string().regex(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/),
  stack: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationSeconds: z.number().nonnegative(),
  database: z.string(),
  /** host:port/database, never credentials. */
  target: z.string(),
  serverVersion: z.string(),
  pgDumpVersion: z.string(),
  toolVersion: z.string(),
  /** Streams dumped in parallel from one exported snapshot (1: a single stream). */
  jobs: z.number().int().positive(),
  objects: z.array(objectSchema).min(1),
  /** Total bytes stored. */
  size: z.number().int().nonnegative(),
  /** One stream: its SHA-256; several: SHA-256 over their SHA-256s in restore order. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Tables above this many estimated rows are counted by estimate. */
  exactCountMaxRows: z.number().int().nonnegative(),
  tables: z.array(tableCountSchema),
  largeObjects: z.number().int().nonnegative(),
  encryption: z.object({
    /** Server side: `aws:kms` with the stack's key, or the bucket default. */
    server: z.string(),
    /** Client side, before upload: AES-256-GCM with the key from secret config (its fingerprint). */
    client: z
      .object({ algorithm: z.literal("aes-256-gcm"), keyFingerprint: z.string() })
      .optional(),
  }),
});

export type BackupManifest = z.infer<typeof manifestSchema>;
export type ManifestObject = BackupManifest["objects"][number];
export type TableCount = BackupManifest["tables"][number];

export const latestSchema = z.object({
  format: z.literal(LATEST_FORMAT),
  id: z.string(),
  manifestKey: z.string(),
  finishedAt: z.string(),
  sha256: z.string(),
  size: z.number(),
});
export type LatestPointer = z.infer<typeof latestSchema>;

/** `20260102T031700Z-1a2b3c` for a backup started at `at`. */
export function backupId(at: Date, random: string): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  return `${stamp}-${random}`;
}

/** When the backup with this id started. */
export function timeOfId(id: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(id);
  if (!m) throw new Error(`'${id}' is not a backup id`);
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
}

export const backupsPrefix = (prefix: string) => `${prefix}backups/`;
export const backupFolder = (prefix: string, id: string) => `${backupsPrefix(prefix)}${id}/`;
export const manifestKey = (prefix: string, id: string) =>
  `${backupFolder(prefix, id)}manifest.json`;
export const latestKey = (prefix: string) => `${prefix}latest.json`;

/** The id of the backup a key belongs to, or undefined for keys outside `backups/`. */
export function idOfKey(prefix: string, key: string): string | undefined {
  const base = backupsPrefix(prefix);
  if (!key.startsWith(base)) return undefined;
  const id = key.slice(base.length).split("/")[0]!;
  return /^\d{8}T\d{6}Z-[0-9a-f]{6}$/.test(id) ? id : undefined;
}

/** One digest for the whole backup, whatever its number of streams. */
export function combinedSha256(objects: readonly Pick<ManifestObject, "sha256">[]): string {
  if (objects.length === 1) return objects[0]!.sha256;
  const { createHash } = require("node:crypto") as typeof import("node:crypto");
  const hash = createHash("sha256");
  for (const o of objects) hash.update(o.sha256);
  return hash.digest("hex");
}

/** Objects in the order a restore must apply them. */
export function restoreOrder(objects: readonly ManifestObject[]): ManifestObject[] {
  const rank = (s: Section) => SECTIONS.indexOf(s);
  return [...objects].sort(
    (a, b) => rank(a.section) - rank(b.section) || a.key.localeCompare(b.key),
  );
}

export function parseManifest(text: string, key: string): BackupManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${key} is not valid JSON: the manifest is damaged`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `${key} is not a runbooks backup manifest: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  return parsed.data;
}
