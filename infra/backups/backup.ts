/**
 * `runBackup`: the one implementation behind `npm run backup`, the nightly
 * workflow and the BackupJob provider.
 *
 *   preflight → snapshot session → pg_dump stream(s) → upload (row counts
 *   beside it) → manifest → confirm every object is stored as sent → latest.json → metric
 *
 * Each arrow is a point of no return only in one direction: a failure before
 * the manifest leaves a folder no reader counts as a backup (its uploads
 * aborted); a failure before latest.json leaves the previous latest in place;
 * the freshness metric is published only after all of it, so the alarm sees
 * any failure as a missing success.
 */
import { randomBytes } from "node:crypto";
import { getPriority, setPriority } from "node:os";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { PostgresError, withTransaction } from "../postgres/client";
import { quoteIdent } from "../postgres/identifiers";
import { keyFingerprint, parseEncryptionKey } from "./encryption";
import { abortOrphanedUploads, DEFAULT_LEASE, holdLease, type LeaseTiming } from "./lease";
import {
  backupFolder,
  backupId,
  combinedSha256,
  latestKey,
  latestSchema,
  LATEST_FORMAT,
  MANIFEST_FORMAT,
  manifestKey,
  type BackupManifest,
  type LatestPointer,
  type ManifestObject,
} from "./manifest";
import { publishBackupMetric, type MetricTarget } from "./metric";
import { BackupSetupError, findPgBinariesAsync, pickPgBinary, scrubPg } from "./pg-tools";
import { preflightBucket, preflightSource } from "./preflight";
import { noProgress, type ProgressCallback } from "./progress";
import { explainS3Error, withS3, type S3Location, type S3Timeouts } from "./s3";
import {
  countRows,
  exportSnapshot,
  lockHolders,
  lockTablesToCount,
  openSnapshotSession,
  rlsHiddenTables,
  splitStreams,
  type RowCounts,
  type SnapshotFacts,
} from "./snapshot";
import { confirmStored, type SentObject } from "./stored-checksum";
import { streamToObject } from "./stream-upload";

/** `runbooks-as-code@<version>`, recorded in every manifest. */
export function toolVersion(): string {
  const { readFileSync } = require("node:fs") as typeof import("node:fs");
  const { join } = require("node:path") as typeof import("node:path");
  const pkg = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as {
    name: string;
    version: string;
  };
  return `${pkg.name}@${pkg.version}`;
}

export interface BackupOptions {
  /** Source connection string. Secret: never printed. */
  databaseUrl: string;
  location: S3Location;
  /** Stack name, recorded in the manifest and used as the metric's dimension. */
  stack?: string;
  /** Parallel data streams from one exported snapshot (1: a single stream). */
  jobs?: number;
  /** Longest a lock may be waited for, by pg_dump and by the row counts. */
  lockWaitTimeoutSeconds?: number;
  /** Tables estimated above this many rows are counted by estimate. */
  exactCountMaxRows?: number;
  /** Client-side encryption key (base64, 32 bytes). Secret. */
  encryptionKey?: string;
  /** Where to publish the freshness metric after a verified backup; omitted: not published. */
  metric?: MetricTarget;
  clock?: () => Date;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** Multipart part size; default grows with the database so 10,000 parts always suffice. */
  partSizeBytes?: number;
  queueSize?: number;
  lease?: LeaseTiming;
  env?: NodeJS.ProcessEnv;
  /** How long S3 may keep a request waiting (default DEFAULT_S3_TIMEOUTS). */
  s3Timeouts?: S3Timeouts;
  /**
   * Once pg_dump has started, lower this process's main thread to nice 10 (yieldCpuToDump).
   * Only for a process that exits after the backup: without privilege it cannot be undone.
   */
  yieldCpu?: boolean;
}

export interface BackupReport {
  id: string;
  manifestKey: string;
  manifest: BackupManifest;
  /** Every object is stored exactly as sent: S3's checksum of it matched ours, or it was read back and matched its SHA-256. */
  verified: true;
  /** How: "stored checksum" when S3 reported one for every object, else "read back". */
  verifiedBy: "stored checksum" | "read back";
  /** false when a newer backup had already become latest (two runs overlapped). */
  latestUpdated: boolean;
  metric: "published" | "not configured";
  /** Multipart uploads of dead earlier runs that this run aborted. */
  abortedOrphans: string[];
  /** Sessions that held conflicting locks when the dump started. */
  lockWaits: string[];
  seconds: { dump: number; verify: number; total: number };
}

const MIB = 1024 * 1024;

/** The nice value the uploader yields to: below pg_dump's, high enough to stop preempting it. */
export const UPLOADER_NICE = 10;

/**
 * pg_dump (its compression) and, on the database's own host, the server are the backup's
 * critical path; this process only moves and hashes bytes, a fraction of a core. At the same
 * priority the scheduler lets it preempt pg_dump on every chunk it wakes for; at nice 10 it runs
 * in the gaps, and reads the pipe in fewer, larger chunks (bench/backups measures the backup both
 * ways, on 2 cores that pg_dump and Postgres keep busy). Linux sets the nice of the calling thread
 * only, so pg_dump, already spawned at the normal priority, keeps it, and so do V8's and libuv's
 * existing threads.
 */
export function yieldCpuToDump(): void {
  try {
    if (getPriority() < UPLOADER_NICE) setPriority(UPLOADER_NICE);
  } catch {
    // A platform that refuses only costs the speed-up.
  }
}

function partSizeFor(databaseBytes: number): number {
  // 9,000 parts leaves headroom under S3's 10,000; a dump is rarely bigger than the database.
  return Math.min(512 * MIB, Math.max(8 * MIB, Math.ceil(databaseBytes / 9000 / MIB) * MIB));
}

function dumpArgs(
  common: string[],
  section: string,
  tables?: SnapshotFacts["sizes"],
  extras: string[] = [],
) {
  const args = [...common, `--section=${section}`, ...extras];
  for (const t of tables ?? []) args.push(`--table=${quoteIdent(t.schema)}.${quoteIdent(t.table)}`);
  return args;
}

interface PlannedStream {
  name: string;
  section: ManifestObject["section"];
  args: string[];
  tables?: string[];
}

function planStreams(
  facts: SnapshotFacts,
  jobs: number,
  common: string[],
  encrypted: boolean,
): PlannedStream[] {
  const ext = encrypted ? ".dump.enc" : ".dump";
  if (jobs <= 1) return [{ name: `db${ext}`, section: "all", args: common }];
  const streams: PlannedStream[] = [
    { name: `00-pre-data${ext}`, section: "pre-data", args: [...common, "--section=pre-data"] },
  ];
  splitStreams(facts.sizes, jobs).forEach((tables, i) => {
    // Large objects and sequences no table owns are not selected by --table: the first stream carries them.
    const extras =
      i === 0
        ? [
            "--blobs",
            ...facts.freeSequences.map(
              (s) => `--table=${quoteIdent(s.schema)}.${quoteIdent(s.name)}`,
            ),
          ]
        : [];
    streams.push({
      name: `10-data-${String(i + 1).padStart(2, "0")}${ext}`,
      section: "data",
      args: dumpArgs(common, "data", tables, extras),
      tables: tables.map((t) => `${t.schema}.${t.table}`),
    });
  });
  streams.push({
    name: `90-post-data${ext}`,
    section: "post-data",
    args: [...common, "--section=post-data"],
  });
  return streams;
}

async function readLatest(s3: S3Client, location: S3Location): Promise<LatestPointer | undefined> {
  try {
    const got = await s3.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: latestKey(location.prefix) }),
    );
    const parsed = latestSchema.safeParse(JSON.parse(await got.Body!.transformToString()));
    return parsed.success ? parsed.data : undefined;
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchKey") return undefined;
    throw explainS3Error(error, "read latest.json", location);
  }
}

async function putJson(
  s3: S3Client,
  location: S3Location,
  key: string,
  value: unknown,
): Promise<void> {
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: location.bucket,
        Key: key,
        Body: JSON.stringify(value, null, 2) + "\n",
        ContentType: "application/json",
        ...(location.kmsKeyId
          ? { ServerSideEncryption: "aws:kms", SSEKMSKeyId: location.kmsKeyId }
          : {}),
      }),
    );
  } catch (error) {
    throw explainS3Error(error, `write ${key}`, location);
  }
}

export async function runBackup(options: BackupOptions): Promise<BackupReport> {
  const clock = options.clock ?? (() => new Date());
  const progress = options.onProgress ?? noProgress;
  const env = options.env ?? process.env;
  const jobs = options.jobs ?? 1;
  const lockWait = options.lockWaitTimeoutSeconds ?? 120;
  const exactCountMaxRows = options.exactCountMaxRows ?? 1_000_000;
  const location = options.location;
  const key = options.encryptionKey ? parseEncryptionKey(options.encryptionKey) : undefined;
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 16)
    throw new BackupSetupError(
      `jobs must be a whole number from 1 to 16 (got ${jobs}).`,
      "pass --jobs 1 … 16",
      "require-valid-jobs",
    );

  return withS3(location, options.s3Timeouts, async (s3) => {
    // pg_dump's copies answer --version while we connect (each answer is a process start);
    // the database's errors still come first, before any other.
    const dumpers = findPgBinariesAsync("pg_dump", env);
    dumpers.catch(() => undefined);
    const source = await preflightSource(options.databaseUrl);
    const pgDump = pickPgBinary(await dumpers, "pg_dump", source.serverMajor, env);
    const started = clock();
    const startedMs = Date.now();
    const id = backupId(started, randomBytes(3).toString("hex"));
    const lease = options.lease ?? DEFAULT_LEASE;

    // The bucket check, the orphan sweep and the lease start once pg_dump has: each is a few
    // round trips (and the S3 client's first requests) that the floor, pg_dump alone, does not
    // pay, and pg_dump spends its first tens of milliseconds reading the catalog anyway.
    // Nothing is uploaded before all three are done (the gate).
    let s3Side:
      | Promise<{ abortedOrphans: string[]; held: Awaited<ReturnType<typeof holdLease>> }>
      | undefined;
    const startS3Side = () => {
      const side = preflightBucket(s3, location, { write: true })
        .then(() => abortOrphanedUploads(s3, location, { ownId: id, timing: lease, now: started }))
        .then(async (abortedOrphans) => ({
          abortedOrphans,
          held: await holdLease(s3, location, id, lease, clock),
        }));
      // Handled here so a failure while the dump is starting is not an unhandled rejection;
      // it is thrown where the gate is awaited.
      side.catch(() => undefined);
      s3Side = side;
      return side;
    };
    try {
      const lockWaits: string[] = [];
      let facts!: SnapshotFacts;
      let counts!: RowCounts;
      let objects: ManifestObject[] = [];
      let sent: SentObject[] = [];
      let databaseBytes = 0;
      // Set as the dump starts: from then on the source session runs only the counts.
      let dumping = false;
      try {
        await withTransaction(
          { connectionString: options.databaseUrl, applicationName: "runbooks-backup" },
          `back up ${source.connection.target}`,
          async (client) => {
            await openSnapshotSession(client, lockWait);
            const hidden = await rlsHiddenTables(client);
            if (hidden.length > 0)
              throw new BackupSetupError(
                `the backup's role is subject to row-level security on ${hidden.length} table(s) (${hidden.slice(0, 5).join(", ")}${hidden.length > 5 ? ", …" : ""}); pg_dump would refuse them, and dumping only the rows RLS shows would be an incomplete backup.`,
                "connect as a role with BYPASSRLS or superuser (on Supabase: postgres), or ALTER ROLE <role> BYPASSRLS",
                "require-rls-bypass",
              );
            facts = await exportSnapshot(client);
            lockWaits.push(...(await lockHolders(client)));
            for (const w of lockWaits)
              progress({ phase: "dump", bytes: 0, note: `waiting behind a lock: ${w}` });
            await lockTablesToCount(client, facts, exactCountMaxRows);
            databaseBytes = facts.sizes.reduce((n, t) => n + t.bytes, 0);
            const common = [
              "--format=custom",
              `--snapshot=${facts.snapshot}`,
              `--lock-wait-timeout=${Math.round(lockWait * 1000)}ms`,
              "--no-password",
            ];
            const planned = planStreams(facts, jobs, common, key !== undefined);
            const keys = planned.map((p) => `${backupFolder(location.prefix, id)}${p.name}`);
            // The gate settles as the S3 side does, once that has started below.
            let openGate!: (side: Promise<unknown>) => void;
            const gate = new Promise<unknown>((resolve) => (openGate = resolve));
            // A failed count stops the dump: a backup without its row counts is not recorded.
            const countFailed = new AbortController();
            const signal = options.signal
              ? AbortSignal.any([options.signal, countFailed.signal])
              : countFailed.signal;
            let total = 0;
            dumping = true;
            // Each streamToObject spawns its pg_dump before it first awaits.
            const streams = Promise.all(
              planned.map((p, i) =>
                streamToObject({
                  s3,
                  location,
                  key: keys[i]!,
                  program: pgDump.path,
                  args: p.args,
                  connection: source.connection,
                  encryptionKey: key,
                  partSizeBytes: options.partSizeBytes ?? partSizeFor(databaseBytes),
                  queueSize: options.queueSize ?? (jobs > 1 ? 2 : 4),
                  signal,
                  onBytes: (n) => progress({ phase: "dump", bytes: (total += n) }),
                  gate,
                }),
              ),
            );
            // Every pg_dump has been spawned (above, synchronously) at the normal priority.
            if (options.yieldCpu) yieldCpuToDump();
            // The lease names the keys before the first part, so a sweep can abort them if we die.
            openGate(startS3Side().then((ready) => ready.held.announce(keys)));
            // The counts share the snapshot and run while pg_dump does; their locks are held.
            const counted = countRows(client, facts, exactCountMaxRows).catch((error: unknown) => {
              countFailed.abort();
              throw error;
            });
            // Both settle before either error is thrown: nothing of a stream is left mid-upload.
            const [streamed, countedResult] = await Promise.allSettled([streams, counted]);
            if (countedResult.status === "rejected") throw countedResult.reason;
            if (streamed.status === "rejected") throw streamed.reason;
            counts = countedResult.value;
            for (const t of counts.tables.filter((c) => c.note))
              lockWaits.push(`row count of ${t.schema}.${t.table}: ${t.note}`);
            sent = streamed.value;
            objects = streamed.value.map((r, i) => ({
              key: r.key,
              section: planned[i]!.section,
              ...(planned[i]!.tables ? { tables: planned[i]!.tables } : {}),
              size: r.size,
              sha256: r.sha256,
            }));
          },
          { rollback: true },
        );
      } catch (error) {
        if (error instanceof PostgresError && error.code === "55P03") {
          // Beside the dump only the large-object count can get here: a table's count that waits
          // past lock_timeout records the estimate instead (countRows).
          throw new BackupSetupError(
            dumping
              ? `a row count waited more than ${lockWait} s for a lock while the dump ran, so the backup was stopped: ${scrubPg(error.message, source.connection)}`
              : `a lock wait exceeded ${lockWait} s before the dump could start: ${scrubPg(error.message, source.connection)}`,
            "wait for the migration or session holding the lock to finish (npm run db:status shows it), or raise --lock-wait-timeout",
            "require-lock-within-timeout",
          );
        }
        if (error instanceof PostgresError && error.code === "42501") {
          throw new BackupSetupError(
            `the backup's role cannot read everything pg_dump must dump: ${scrubPg(error.message, source.connection)}`,
            "connect as a role that can read every schema and table (on Supabase: postgres), or grant this role USAGE and SELECT on them",
            "require-read-access",
          );
        }
        if (/could not obtain lock/.test((error as Error).message)) {
          throw new BackupSetupError(
            `pg_dump gave up waiting ${lockWait} s for a lock. ${(error as Error).message}`,
            "wait for the migration or session holding the lock to finish (npm run db:status shows it), or raise --lock-wait-timeout",
            "require-lock-within-timeout",
          );
        }
        throw error;
      }
      const dumpSeconds = (Date.now() - startedMs) / 1000;

      const manifest: BackupManifest = {
        format: MANIFEST_FORMAT,
        id,
        ...(options.stack ? { stack: options.stack } : {}),
        startedAt: started.toISOString(),
        finishedAt: clock().toISOString(),
        durationSeconds: Number(dumpSeconds.toFixed(3)),
        database: source.connection.database,
        target: source.connection.target,
        serverVersion: facts.serverVersion,
        pgDumpVersion: pgDump.version,
        toolVersion: toolVersion(),
        jobs,
        objects,
        size: objects.reduce((n, o) => n + o.size, 0),
        sha256: combinedSha256(objects),
        exactCountMaxRows,
        tables: counts.tables,
        largeObjects: counts.largeObjects,
        encryption: {
          server: location.kmsKeyId ? "aws:kms" : "bucket default",
          ...(key
            ? { client: { algorithm: "aes-256-gcm" as const, keyFingerprint: keyFingerprint(key) } }
            : {}),
        },
      };
      const mKey = manifestKey(location.prefix, id);
      // The objects are confirmed (and the current pointer read) before the manifest is written:
      // a folder with a manifest counts as a complete backup, so one is written only for objects
      // S3 holds exactly as sent. "latest" moves after the manifest.
      const verifyStarted = Date.now();
      let verifiedBytes = 0;
      const settled = await Promise.allSettled([
        Promise.all(
          sent.map((o) =>
            confirmStored(s3, location, o, (n) =>
              progress({ phase: "verify", bytes: (verifiedBytes += n), totalBytes: manifest.size }),
            ),
          ),
        ),
        readLatest(s3, location),
      ] as const);
      const failed = settled.find((r) => r.status === "rejected");
      if (failed) throw failed.reason;
      const how = (settled[0] as PromiseFulfilledResult<("stored checksum" | "read back")[]>).value;
      const verifiedBy = how.every((h) => h === "stored checksum")
        ? ("stored checksum" as const)
        : ("read back" as const);
      const verifySeconds = (Date.now() - verifyStarted) / 1000;
      await putJson(s3, location, mKey, manifest);
      const current = (settled[1] as PromiseFulfilledResult<LatestPointer | undefined>).value;
      const latestUpdated = current === undefined || current.id < id;
      if (latestUpdated) {
        const pointer: LatestPointer = {
          format: LATEST_FORMAT,
          id,
          manifestKey: mKey,
          finishedAt: manifest.finishedAt,
          sha256: manifest.sha256,
          size: manifest.size,
        };
        await putJson(s3, location, latestKey(location.prefix), pointer);
      }
      let metric: BackupReport["metric"] = "not configured";
      if (options.metric) {
        await publishBackupMetric(options.metric, new Date(manifest.finishedAt));
        metric = "published";
      }
      return {
        id,
        manifestKey: mKey,
        manifest,
        verified: true as const,
        verifiedBy,
        latestUpdated,
        metric,
        // Settled: every upload waited for it.
        abortedOrphans: (await s3Side!).abortedOrphans,
        lockWaits,
        seconds: {
          dump: Number(dumpSeconds.toFixed(3)),
          verify: Number(verifySeconds.toFixed(3)),
          total: Number(((Date.now() - startedMs) / 1000).toFixed(3)),
        },
      };
    } finally {
      (await s3Side?.catch(() => undefined))?.held.release();
    }
  });
}
