/**
 * One dump stream into one S3 object: pg_dump's stdout → (AES-256-GCM) →
 * SHA-256 → a multipart upload, with no temp file and memory bounded by the
 * upload's part buffers (partSize × queueSize), whatever the database size.
 *
 * The upload's body ends only after pg_dump EXITED WITH 0: pg_dump closes its
 * stdout normally when it fails, so ending the body on end-of-stream would
 * complete a truncated object. On any failure — pg_dump's exit code, an S3
 * error, a cancel — the child is killed and every multipart upload of the key
 * is aborted, so nothing half-written remains.
 */
import { spawn } from "node:child_process";
import { PassThrough, pipeline, type Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { HashingStream } from "./checksum";
import { encryptStream } from "./encryption";
import { abortUploadsOf } from "./lease";
import { uploadStream } from "./multipart";
import { pgEnv, scrubPg, type PgConnection } from "./pg-tools";
import { explainS3Error, type S3Location } from "./s3";
import type { SentObject } from "./stored-checksum";

export interface StreamUploadOptions {
  s3: S3Client;
  location: S3Location;
  key: string;
  /** The program and its arguments (the connection goes last, as `dbnameArg`). */
  program: string;
  args: string[];
  connection: PgConnection;
  encryptionKey?: Buffer;
  partSizeBytes: number;
  queueSize: number;
  signal?: AbortSignal;
  onBytes?: (bytes: number) => void;
  /** Called with pg_dump's stderr lines as they arrive (scrubbed). */
  onStderr?: (line: string) => void;
  /**
   * Nothing is uploaded until this resolves (the bucket checked, the lease
   * held): the program starts at once and waits in the pipe meanwhile, its
   * output bounded by the pipe's and the streams' buffers. If it rejects, the
   * program is killed and its error is thrown as it is.
   */
  gate?: Promise<unknown>;
}

export class DumpFailedError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = "DumpFailedError";
  }
}

export async function streamToObject(options: StreamUploadOptions): Promise<SentObject> {
  const { s3, location, key, connection } = options;
  // Observed at once: a gate that fails while the dump is starting is handled below, not unhandled.
  options.gate?.catch(() => undefined);
  const child = spawn(options.program, [...options.args, connection.dbnameArg], {
    env: pgEnv(connection),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text: string) => {
    if (stderr.length < 64_000) stderr += text;
    for (const line of text.split("\n").filter(Boolean))
      options.onStderr?.(scrubPg(line, connection));
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  exited.catch(() => undefined);

  // The upload's part size, so the CRC32s match what S3 computes of the parts (stored-checksum.ts).
  const hasher = new HashingStream(undefined, options.partSizeBytes);
  const body = new PassThrough();
  // The failure is reported through `failed`; before the gate opens the body has no reader,
  // and an 'error' nobody listens to would crash the process.
  body.on("error", () => undefined);
  const stages: (Readable | NodeJS.ReadWriteStream)[] = [child.stdout];
  if (options.encryptionKey) stages.push(encryptStream(options.encryptionKey));
  stages.push(hasher);
  let failed: Error | undefined;
  const fail = (error: Error) => {
    if (failed) return;
    failed = error;
    child.kill("SIGKILL");
    body.destroy(error);
    // Tear the chain down too, not only the body. Destroying the body unpipes
    // the hasher, and unpiping its last destination pauses it: once the
    // uploader stopped reading mid-stream, the hasher's and pg_dump's stdout
    // buffers stay full, stdout never reads the EOF the kill causes, so the
    // child never emits 'close' and `await exited` below hung forever (an
    // upload that failed part-way while pg_dump was still writing). Destroying
    // the hasher makes the pipeline destroy every stage, stdout included.
    hasher.destroy();
    child.stdout.destroy();
  };
  pipeline(stages as unknown as [Readable, ...NodeJS.ReadWriteStream[]], (error) => {
    if (error) fail(error);
  });
  hasher.pipe(body, { end: false });
  hasher.on("data", (chunk: Buffer) => options.onBytes?.(chunk.length));
  const streamEnded = new Promise<void>((resolve) => hasher.once("end", resolve));
  Promise.all([streamEnded, exited]).then(
    ([, code]) => {
      if (code === 0) body.end();
      else
        fail(
          new DumpFailedError(
            `${options.program.split("/").pop()} exited with code ${code}: ${scrubPg(stderr.trim(), connection) || "(no message)"}`,
            scrubPg(stderr, connection),
          ),
        );
    },
    (error: Error) =>
      fail(new DumpFailedError(`could not run ${options.program}: ${error.message}`, "")),
  );
  const onAbort = () => fail(new Error("the backup was cancelled (signal received)"));
  options.signal?.addEventListener("abort", onAbort, { once: true });

  let gateFailed = false;
  try {
    if (options.gate)
      await options.gate.catch((error: unknown) => {
        gateFailed = true;
        throw error;
      });
    if (failed) throw failed;
    await uploadStream({
      s3,
      location,
      key,
      body,
      partSizeBytes: options.partSizeBytes,
      queueSize: options.queueSize,
    });
    if (failed) throw failed;
    return { key, size: hasher.size, sha256: hasher.sha256, crc32: hasher.crc32 };
  } catch (error) {
    const cause = failed ?? (error as Error);
    fail(cause);
    // Before the gate opened nothing was uploaded, and its error already says what to do.
    if (gateFailed) throw cause;
    await abortUploadsOf(s3, location, key).catch(() => undefined);
    if (cause instanceof DumpFailedError || cause.message.startsWith("the backup was cancelled"))
      throw cause;
    throw explainS3Error(cause, `upload ${key}`, location);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await exited.catch(() => undefined);
  }
}
