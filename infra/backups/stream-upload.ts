/**
 * One dump stream into one S3 object: pg_dump's stdout → (AES-256-GCM) → a
 * multipart upload that hashes each chunk as it copies it into a part, with
 * no temp file and memory bounded by the upload's part buffers
 * (partSize × queueSize), whatever the database size.
 *
 * The upload completes only after pg_dump EXITED WITH 0: pg_dump closes its
 * stdout normally when it fails, so completing on end-of-stream would store
 * a truncated object. On any failure — pg_dump's exit code, an S3 error, a
 * cancel — the child is killed and every multipart upload of the key is
 * aborted, so nothing half-written remains.
 */
import { spawn } from "node:child_process";
import { pipeline, type Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
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
   * held): the program starts at once, its output is read meanwhile up to one
   * part, and then it waits in the pipe. If it rejects, the program is killed
   * and its error is thrown as it is.
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

  let source: Readable = child.stdout;
  let failed: Error | undefined;
  const fail = (error: Error) => {
    if (failed) return;
    failed = error;
    child.kill("SIGKILL");
    // Destroyed, not only left unread: stdout must see the EOF the kill causes for the child to
    // emit 'close', which `await exited` below waits for. Without an error: before the upload
    // starts nothing listens for one, and the cause is `failed`.
    source.destroy();
    child.stdout.destroy();
  };
  if (options.encryptionKey) {
    const encrypt = encryptStream(options.encryptionKey);
    pipeline(child.stdout, encrypt, (error) => {
      if (error) fail(error);
    });
    source = encrypt;
  }
  // The bytes are whole only once pg_dump has exited with 0; it is also failed at once if it
  // exits otherwise, so a dump that fails before the gate opens is not left waiting.
  const dumped = exited.then(
    (code) => {
      if (code === 0) return;
      throw new DumpFailedError(
        `${options.program.split("/").pop()} exited with code ${code}: ${scrubPg(stderr.trim(), connection) || "(no message)"}`,
        scrubPg(stderr, connection),
      );
    },
    (error: Error) => {
      throw new DumpFailedError(`could not run ${options.program}: ${error.message}`, "");
    },
  );
  dumped.catch(fail);
  const onAbort = () => fail(new Error("the backup was cancelled (signal received)"));
  options.signal?.addEventListener("abort", onAbort, { once: true });

  let gateFailed = false;
  try {
    // Read from the start (a child's unread output is discarded when it exits), sent once the gate opens.
    const sent = await uploadStream({
      s3,
      location,
      key,
      body: source,
      partSizeBytes: options.partSizeBytes,
      queueSize: options.queueSize,
      beforeComplete: dumped,
      onFailure: fail,
      ...(options.gate
        ? {
            gate: options.gate.catch((error: unknown) => {
              gateFailed = true;
              throw error;
            }),
          }
        : {}),
      ...(options.onBytes ? { onBytes: options.onBytes } : {}),
    });
    if (failed) throw failed;
    return { key, ...sent };
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
