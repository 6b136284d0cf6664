/**
 * The two ways a restore streams verified objects into Postgres, and their
 * plumbing: each object is read from S3 through its checks (SHA-256 and size
 * against the manifest, then decryption), and the COMMIT is held back until
 * every byte proved genuine. restore-gate.ts explains both paths; restore.ts
 * chooses the backup and the path, and checks the target first.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { pipeline, type Readable } from "node:stream";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { HashingStream } from "./checksum";
import { decryptStream } from "./encryption";
import type { ManifestObject } from "./manifest";
import { pgEnv, scrubPg, type PgConnection } from "./pg-tools";
import { TailGate, TxnStripper } from "./restore-gate";
import { explainS3Error, type S3Location } from "./s3";

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
export async function restoreDirect(args: {
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
export async function restoreThroughPsql(args: {
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
