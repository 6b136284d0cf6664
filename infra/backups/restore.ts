/**
 * `runRestore`: a chosen backup (latest.json, `from` a key or id, or the
 * newest one at or before `at`) into a target database, verified while it
 * streams and committed only once every byte proved genuine (restore-gate.ts
 * explains both ways it holds the commit back).
 *
 * Safety rules, each with its refusal message:
 * - a target that already holds tables the backup would create is refused
 *   unless `force`, and the refusal lists them with their row counts (with
 *   `force`, pg_restore drops and recreates exactly those objects);
 * - `tables` restores only those tables: into tables that exist, their rows
 *   are replaced (TRUNCATE, then the backup's rows — refused unless empty or
 *   `force`); tables that do not exist are created;
 * - pg_restore must be at least the version of the pg_dump that wrote it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { pipeline, type Readable } from "node:stream";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { withConnection } from "../postgres/client";
import { qualifiedTable } from "../postgres/identifiers";
import { HashingStream } from "./checksum";
import { decryptStream, keyFingerprint, parseEncryptionKey } from "./encryption";
import { listBackups, readManifest } from "./listing";
import {
  latestKey,
  latestSchema,
  manifestKey,
  idOfKey,
  restoreOrder,
  type BackupManifest,
  type ManifestObject,
  type TableCount,
} from "./manifest";
import { BackupSetupError, pgEnv, scrubPg, type PgConnection } from "./pg-tools";
import { preflightPrograms, preflightSource } from "./preflight";
import { noProgress, type ProgressCallback } from "./progress";
import { TailGate, TxnStripper } from "./restore-gate";
import { explainS3Error, withS3, type S3Location } from "./s3";

export interface RestoreOptions {
  /** The target database. Secret. */
  databaseUrl: string;
  location: S3Location;
  /** A manifest key, a dump key or a backup id. */
  from?: string;
  /** The newest complete backup started at or before this time. */
  at?: Date;
  /** `schema.table` or `table` (public); omitted: the whole backup. */
  tables?: string[];
  force?: boolean;
  /** Restore without the original owners (every object then belongs to the connecting role). */
  noOwner?: boolean;
  encryptionKey?: string;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

export interface TableComparison extends TableCount {
  /** Rows in the target after the restore. */
  restored: number;
  /** exact counts must be equal; estimates are compared within 10 %. */
  matches: boolean;
}

export interface RestoreReport {
  id: string;
  manifestKey: string;
  target: string;
  mode: "database" | "tables";
  /**
   * How the SQL reached the database (restore-gate.ts): `pg_restore` (one
   * whole-database object, pg_restore's own connection) or `psql` (several
   * objects, or selected tables, in one transaction of ours).
   */
  via: "pg_restore" | "psql";
  tables: TableComparison[];
  /** Existing tables that the restore replaced (force). */
  replaced: string[];
  bytes: number;
  seconds: number;
}

export class RestoreRefusedError extends Error {
  constructor(
    message: string,
    readonly wouldReplace: string[],
  ) {
    super(message);
    this.name = "RestoreRefusedError";
  }
}

/** Which backup: `from`, else `at`, else latest.json. */
export async function resolveBackup(
  s3: S3Client,
  location: S3Location,
  choice: { from?: string; at?: Date },
): Promise<{ key: string; manifest: BackupManifest }> {
  let key: string;
  if (choice.from) {
    const id = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/.test(choice.from)
      ? choice.from
      : idOfKey(location.prefix, choice.from);
    if (!id)
      throw new BackupSetupError(
        `'${choice.from}' is neither a backup id nor a key under ${location.prefix}backups/.`,
        "pass an id or key from 'npm run backup:list'",
        "require-known-backup",
      );
    key = manifestKey(location.prefix, id);
  } else if (choice.at) {
    const at = choice.at;
    const candidates = (await listBackups(s3, location)).filter(
      (b) => b.complete && b.startedAt <= at,
    );
    if (candidates.length === 0)
      throw new BackupSetupError(
        `no complete backup was started at or before ${at.toISOString()}.`,
        "pick a later --at, or list what exists with 'npm run backup:list'",
        "require-known-backup",
      );
    key = manifestKey(location.prefix, candidates[0]!.id);
  } else {
    try {
      const got = await s3.send(
        new GetObjectCommand({ Bucket: location.bucket, Key: latestKey(location.prefix) }),
      );
      key = latestSchema.parse(JSON.parse(await got.Body!.transformToString())).manifestKey;
    } catch (error) {
      if ((error as { name?: string }).name === "NoSuchKey")
        throw new BackupSetupError(
          `there is no latest backup under s3://${location.bucket}/${location.prefix} (no latest.json).`,
          "take one with 'npm run backup', or pass --from / --at",
          "require-known-backup",
        );
      throw explainS3Error(error, "read latest.json", location);
    }
  }
  return { key, manifest: await readManifest(s3, location, key) };
}

function selectTables(manifest: BackupManifest, requested: string[] | undefined): TableCount[] {
  if (!requested) return manifest.tables;
  const byName = new Map(manifest.tables.map((t) => [`${t.schema}.${t.table}`, t]));
  return requested.map((name) => {
    const full = name.includes(".") ? name : `public.${name}`;
    const t = byName.get(full);
    if (!t)
      throw new BackupSetupError(
        `table ${full} is not in backup ${manifest.id}.`,
        `choose from: ${[...byName.keys()].slice(0, 20).join(", ")}${byName.size > 20 ? ", …" : ""}`,
        "require-table-in-backup",
      );
    return t;
  });
}

async function existingRows(
  url: string,
  target: string,
  tables: readonly TableCount[],
): Promise<Map<string, number>> {
  return withConnection(
    { connectionString: url, applicationName: "runbooks-restore" },
    `inspect ${target}`,
    async (client) => {
      const found = new Map<string, number>();
      for (const t of tables) {
        const exists = await client.query("select to_regclass($1) is not null as e", [
          qualifiedTable(t),
        ]);
        if (!(exists.rows[0] as { e: boolean }).e) continue;
        const n = await client.query(`select count(*)::bigint as n from ${qualifiedTable(t)}`);
        found.set(`${t.schema}.${t.table}`, Number((n.rows[0] as { n: string }).n));
      }
      return found;
    },
  );
}

async function countRows(
  url: string,
  target: string,
  tables: readonly TableCount[],
): Promise<TableComparison[]> {
  return withConnection(
    { connectionString: url, applicationName: "runbooks-restore" },
    `count rows in ${target}`,
    async (client) => {
      const out: TableComparison[] = [];
      for (const t of tables) {
        const n = await client.query(`select count(*)::bigint as n from only ${qualifiedTable(t)}`);
        const restored = Number((n.rows[0] as { n: string }).n);
        const matches = t.exact
          ? restored === t.rows
          : Math.abs(restored - t.rows) <= Math.max(10, t.rows * 0.1);
        out.push({ ...t, restored, matches });
      }
      return out;
    },
  );
}

function childDone(child: ChildProcess, name: string, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once("error", (e) => reject(new Error(`could not run ${name}: ${e.message}`)));
    child.once("close", (code, signal) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `${name} failed (${signal ?? `exit ${code}`}): ${stderr().trim() || "(no message)"}`,
            ),
          ),
    );
  });
}

/**
 * Start a Postgres client program for this restore: the password only in its
 * environment, killed with the others on failure, and its exit a promise that
 * rejects with its (scrubbed) stderr.
 */
function startPgProgram(
  path: string,
  name: string,
  argv: string[],
  connection: PgConnection,
  children: ChildProcess[],
  stdout: "pipe" | "ignore",
): { child: ChildProcess; exit: Promise<void>; stderr: () => string } {
  const child = spawn(path, argv, { env: pgEnv(connection), stdio: ["pipe", stdout, "pipe"] });
  children.push(child);
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (t: string) => (stderr += t.slice(0, 64_000)));
  const exit = childDone(child, name, () => scrubPg(stderr, connection));
  exit.catch(() => undefined);
  return { child, exit, stderr: () => stderr };
}

async function getObjectBody(
  s3: S3Client,
  location: S3Location,
  object: ManifestObject,
): Promise<Readable> {
  try {
    const got = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: object.key }));
    return got.Body as Readable;
  } catch (error) {
    throw explainS3Error(error, `read ${object.key}`, location);
  }
}

/**
 * Whether a write failed only because the reader went away (pg_restore
 * stopped on an error of its own, which then says more than EPIPE).
 */
function readerGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "EPIPE" || code === "ERR_STREAM_DESTROYED" || code === "ECONNRESET";
}

/**
 * An object's bytes, checked on the way: SHA-256 and size against the
 * manifest, then decryption (whose GCM tag is checked at the end). Both
 * paths read an object through these stages.
 */
function verifiedObject(
  body: Readable,
  object: Pick<ManifestObject, "key" | "sha256" | "size">,
  key: Buffer | undefined,
  onBytes: (n: number) => void,
): (Readable | NodeJS.ReadWriteStream)[] {
  const hasher = new HashingStream(object);
  hasher.on("data", (chunk: Buffer) => onBytes(chunk.length));
  return key ? [body, hasher, decryptStream(key, object.key)] : [body, hasher];
}

/**
 * The stages between an object's bytes and pg_restore in path 1: the checks
 * of verifiedObject, then the TailGate, so the archive's last bytes come out
 * only after every check passed.
 */
export function gatedArchive(
  body: Readable,
  object: Pick<ManifestObject, "key" | "sha256" | "size">,
  key?: Buffer,
  onBytes: (n: number) => void = () => undefined,
): (Readable | NodeJS.ReadWriteStream)[] {
  return [...verifiedObject(body, object, key, onBytes), new TailGate()];
}

/**
 * Path 1 of restore-gate.ts: pg_restore connects itself and reads the one
 * whole-database archive from stdin, and the TailGate keeps its COMMIT out of
 * reach until the digest (and tag) matched.
 */
async function restoreDirect(args: {
  s3: S3Client;
  location: S3Location;
  object: ManifestObject;
  pgRestore: string;
  restoreArgs: string[];
  key?: Buffer;
  connection: PgConnection;
  onBytes: (n: number) => void;
  children: ChildProcess[];
}): Promise<void> {
  const body = await getObjectBody(args.s3, args.location, args.object);
  const { child: restore, exit: restoreExit } = startPgProgram(
    args.pgRestore,
    "pg_restore",
    [
      "--single-transaction",
      "--exit-on-error",
      `--dbname=${args.connection.dbnameArg}`,
      ...args.restoreArgs,
    ],
    args.connection,
    args.children,
    "ignore",
  );
  const stages = [...gatedArchive(body, args.object, args.key, args.onBytes), restore.stdin!];
  try {
    await new Promise<void>((resolve, reject) =>
      pipeline(stages as unknown as [Readable, NodeJS.WritableStream], (e) =>
        e ? reject(e) : resolve(),
      ),
    );
  } catch (error) {
    // The held-back tail was never written: pg_restore cannot have committed. Kill it before it
    // sees the end of its input, so the server rolls its transaction back.
    if (readerGone(error)) {
      const own = await restoreExit.then(
        () => undefined,
        (e: unknown) => e,
      );
      restore.kill("SIGKILL");
      throw own ?? error;
    }
    restore.kill("SIGKILL");
    throw error;
  }
  await restoreExit;
}

/** Stream one object through verification and pg_restore into the open psql session. */
async function feedObject(args: {
  s3: S3Client;
  location: S3Location;
  object: ManifestObject;
  pgRestore: string;
  restoreArgs: string[];
  psqlStdin: NodeJS.WritableStream;
  key?: Buffer;
  connection: PgConnection;
  onBytes: (n: number) => void;
  children: ChildProcess[];
}): Promise<void> {
  const { s3, location, object } = args;
  const body = await getObjectBody(s3, location, object);
  const { child: restore, exit: restoreExit } = startPgProgram(
    args.pgRestore,
    "pg_restore",
    ["--single-transaction", "--file=-", ...args.restoreArgs],
    args.connection,
    args.children,
    "pipe",
  );
  const stages = [...verifiedObject(body, object, args.key, args.onBytes), restore.stdin!];
  const input = new Promise<void>((resolve, reject) =>
    pipeline(stages as unknown as [Readable, NodeJS.WritableStream], (e) =>
      e ? reject(e) : resolve(),
    ),
  );
  const stripper = new TxnStripper();
  restore.stdout!.pipe(stripper).pipe(args.psqlStdin, { end: false });
  const output = new Promise<void>((resolve, reject) => {
    stripper.once("end", resolve);
    stripper.once("error", reject);
  });
  try {
    // The input's verdict (digest, tag) comes first: a pg_restore error caused by tampering
    // is reported as the tampering it is.
    await input;
  } catch (error) {
    restore.kill("SIGKILL");
    throw error;
  }
  await restoreExit;
  await output;
}

const GUARD = `DO $guard$ BEGIN IF coalesce(current_setting('runbooks.restore_guard', true), '') <> 'on' THEN RAISE EXCEPTION 'runbooks: the restore transaction ended early (unexpected COMMIT in pg_restore output)'; END IF; END $guard$;\n`;

/**
 * Path 2 of restore-gate.ts: every object's SQL through one psql session, in
 * one transaction that is committed only after the last object verified.
 */
async function restoreThroughPsql(args: {
  s3: S3Client;
  location: S3Location;
  objects: ManifestObject[];
  pgRestore: string;
  psql: string;
  restoreArgs: string[];
  preamble: string;
  key?: Buffer;
  connection: PgConnection;
  onBytes: (n: number) => void;
  children: ChildProcess[];
}): Promise<void> {
  const psqlRun = startPgProgram(
    args.psql,
    "psql",
    ["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--file=-", args.connection.dbnameArg],
    args.connection,
    args.children,
    "ignore",
  );
  const { child: psql, exit: psqlExit } = psqlRun;
  // A psql that stops early (ON_ERROR_STOP) must end the restore at once, whatever is still streaming.
  const psqlStopped = psqlExit.then(() => {
    throw new Error("psql ended before the restore was complete");
  });
  psqlStopped.catch(() => undefined);
  psql.stdin!.on("error", () => undefined);
  try {
    psql.stdin!.write(`BEGIN;\nSET LOCAL runbooks.restore_guard = 'on';\n${args.preamble}`);
    for (const object of args.objects) {
      await Promise.race([feedObject({ ...args, object, psqlStdin: psql.stdin! }), psqlStopped]);
      // Defence in depth for the gate: if anything in pg_restore's output had committed, the
      // transaction-local setting is gone and psql stops here, loudly.
      psql.stdin!.write(GUARD);
    }
    // Every object ended with the right digest (and tag): only now may the transaction commit.
    psql.stdin!.end("COMMIT;\n");
    await psqlExit;
  } catch (error) {
    args.children.forEach((c) => c.kill("SIGKILL"));
    await psqlExit.catch(() => undefined);
    const psqlErr = psqlRun.stderr().trim();
    if (psqlErr) {
      const detail = scrubPg(psqlErr.split("\n").slice(-3).join(" "), args.connection);
      (error as Error).message = `${(error as Error).message} (psql: ${detail})`;
    }
    throw error;
  }
}

export async function runRestore(options: RestoreOptions): Promise<RestoreReport> {
  const progress = options.onProgress ?? noProgress;
  const env = options.env ?? process.env;
  const started = Date.now();
  const target = await preflightSource(options.databaseUrl, "the target connection string");
  return withS3(options.location, async (s3) => {
    const { key: mKey, manifest } = await resolveBackup(s3, options.location, options);
    const dumpMajor = Number(/\b(\d+)(?:\.\d+)/.exec(manifest.pgDumpVersion)?.[1] ?? 0);
    const programs = preflightPrograms(
      ["pg_restore", "psql"],
      Math.max(dumpMajor, target.serverMajor),
      env,
    );
    let key: Buffer | undefined;
    if (manifest.encryption.client) {
      if (!options.encryptionKey)
        throw new BackupSetupError(
          `backup ${manifest.id} is encrypted client-side (key ${manifest.encryption.client.keyFingerprint}) and no key was given.`,
          "pass the key from the stack's secret config (runbooks:backup.encryptionKeySecretRef) as RUNBOOKS_BACKUP_ENCRYPTION_KEY",
          "require-encryption-key",
        );
      key = parseEncryptionKey(options.encryptionKey);
      if (keyFingerprint(key) !== manifest.encryption.client.keyFingerprint)
        throw new BackupSetupError(
          `the encryption key given (${keyFingerprint(key)}) is not the one backup ${manifest.id} was written with (${manifest.encryption.client.keyFingerprint}).`,
          "use the key that was configured when the backup was taken",
          "require-encryption-key",
        );
    }
    const tables = selectTables(manifest, options.tables);
    const existing = await existingRows(options.databaseUrl, target.connection.target, tables);
    const mode = options.tables ? "tables" : "database";
    const nonEmpty = [...existing].filter(([, n]) => mode === "database" || n > 0);
    if (nonEmpty.length > 0 && !options.force) {
      const list = nonEmpty.map(([t, n]) => `${t} (${n} rows)`);
      throw new RestoreRefusedError(
        `refused: ${target.connection.target} already has ${nonEmpty.length} of the tables backup ${manifest.id} would ` +
          `${mode === "database" ? "drop and recreate" : "empty and reload"}: ${list.slice(0, 20).join(", ")}${list.length > 20 ? ", …" : ""}. ` +
          `Nothing was changed. Fix: restore into an empty database, or pass --force to replace them.`,
        list,
      );
    }
    const restoreArgs: string[] = [];
    if (options.noOwner) restoreArgs.push("--no-owner");
    let preamble = "";
    if (mode === "database") {
      if (existing.size > 0) restoreArgs.push("--clean", "--if-exists");
    } else {
      const exist = tables.filter((t) => existing.has(`${t.schema}.${t.table}`));
      if (exist.length > 0 && exist.length < tables.length)
        throw new BackupSetupError(
          `some of the tables exist in the target (${exist.map((t) => `${t.schema}.${t.table}`).join(", ")}) and some do not.`,
          "restore the existing and the missing tables in two runs",
          "require-uniform-table-restore",
        );
      if (exist.length > 0) {
        restoreArgs.push("--data-only");
        preamble = `TRUNCATE ${exist.map((t) => qualifiedTable(t)).join(", ")};\n`;
      }
      for (const schema of new Set(tables.map((t) => t.schema)))
        restoreArgs.push(`--schema=${schema}`);
      for (const t of tables) restoreArgs.push(`--table=${t.table}`);
    }

    const children: ChildProcess[] = [];
    const onAbort = () => children.forEach((c) => c.kill("SIGKILL"));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    let bytes = 0;
    const common = {
      s3,
      location: options.location,
      pgRestore: programs.pg_restore.path,
      restoreArgs,
      key,
      connection: target.connection,
      onBytes: (n: number) =>
        progress({ phase: "restore", bytes: (bytes += n), totalBytes: manifest.size }),
      children,
    };
    const [only] = manifest.objects;
    const via =
      mode === "database" && manifest.objects.length === 1 && only!.section === "all"
        ? "pg_restore"
        : "psql";
    try {
      if (via === "pg_restore") await restoreDirect({ ...common, object: only! });
      else
        await restoreThroughPsql({
          ...common,
          psql: programs.psql.path,
          objects: restoreOrder(manifest.objects),
          preamble,
        });
    } catch (error) {
      children.forEach((c) => c.kill("SIGKILL"));
      const message = scrubPg((error as Error).message, target.connection);
      const e = new Error(
        `restore of ${manifest.id} into ${target.connection.target} failed and was rolled back: ${message}`,
      );
      e.name = (error as Error).name;
      throw e;
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
    const compared = await countRows(options.databaseUrl, target.connection.target, tables);
    return {
      id: manifest.id,
      manifestKey: mKey,
      target: target.connection.target,
      mode,
      via,
      tables: compared,
      replaced: [...existing.keys()],
      bytes,
      seconds: Number(((Date.now() - started) / 1000).toFixed(3)),
    };
  });
}
