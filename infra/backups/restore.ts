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
import type { ChildProcess } from "node:child_process";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { withConnection } from "../postgres/client";
import { qualifiedTable } from "../postgres/identifiers";
import { keyFingerprint, parseEncryptionKey } from "./encryption";
import { listBackups, readManifest } from "./listing";
import {
  latestKey,
  latestSchema,
  manifestKey,
  idOfKey,
  restoreOrder,
  type BackupManifest,
  type TableCount,
} from "./manifest";
import { BackupSetupError, scrubPg } from "./pg-tools";
import { preflightPrograms, preflightSource } from "./preflight";
import { noProgress, type ProgressCallback } from "./progress";
import { restoreDirect, restoreThroughPsql } from "./restore-paths";
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
