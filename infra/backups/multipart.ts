/**
 * A streaming multipart upload that fails fast: parts of `partSize` bytes go
 * up `queueSize` at a time while the source keeps streaming (memory is
 * bounded by partSize × (queueSize + 1)); the first part that fails (after
 * the SDK's own retries) aborts the multipart upload at once and rejects.
 *
 * Each chunk is hashed (SHA-256, CRC32s) in the same pass that copies it into
 * its part, and each part is sent with the CRC32 already computed, so the SDK
 * does not read the part again for it and S3 checks it on arrival. There is
 * no stream stage between the source and the parts: each stage costs per
 * chunk, and pg_dump writes small chunks, so on a busy machine the hashing
 * Transform and the PassThrough this replaced took CPU time from pg_dump.
 *
 * Why not @aws-sdk/lib-storage's `Upload`: when one part fails it keeps
 * reading and uploading the rest of the source with its other workers and
 * aborts only once they are all done; measured against a fault-injecting
 * proxy, a backup whose second part failed kept uploading and then never
 * settled. A backup must stop at the first failure, abort, and say so.
 */
import { finished, type Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from "@aws-sdk/client-s3";
import { crc32Base64, StreamDigest } from "./checksum";
import type { S3Location } from "./s3";

export interface MultipartOptions {
  s3: S3Client;
  location: S3Location;
  key: string;
  body: Readable;
  partSizeBytes: number;
  queueSize: number;
  /**
   * Awaited once the body has ended, before its last bytes are sent and the object completed:
   * if it rejects, the upload is aborted with its error instead. A dump's output ends normally
   * even when pg_dump fails, so only its exit code can say the bytes are whole.
   */
  beforeComplete?: Promise<unknown>;
  /**
   * Nothing is sent to S3 until this resolves; meanwhile the body is read up to one part, then
   * paused. If it rejects, the upload fails with its error as it is, having sent nothing.
   */
  gate?: Promise<unknown>;
  /** Called with each chunk's size as it is read. */
  onBytes?: (bytes: number) => void;
  /**
   * Called once, with the first failure, before the body is destroyed: a caller whose body is a
   * child's output records the real cause before that child dies of the closed pipe.
   */
  onFailure?: (error: Error) => void;
}

/** What was uploaded: its size, SHA-256 and CRC32s (the whole, and each part). */
export interface UploadedStream {
  size: number;
  sha256: string;
  crc32: { whole: number; parts: number[] };
}

/** S3's limit on the parts of one object. */
export const MAX_PARTS = 10_000;

function tooLarge(partSize: number): Error {
  return new Error(
    `the object exceeds S3's ${MAX_PARTS} parts of ${partSize / 1024 / 1024} MiB; use --jobs to split the dump into several objects`,
  );
}

/** Upload `body` to `key`; resolves only after S3 completed the object. */
export async function uploadStream(options: MultipartOptions): Promise<UploadedStream> {
  const { s3, location, key, body, partSizeBytes: partSize, queueSize } = options;
  const sse = location.kmsKeyId
    ? { ServerSideEncryption: "aws:kms" as const, SSEKMSKeyId: location.kmsKeyId }
    : {};
  const digest = new StreamDigest(partSize);
  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];
  const inflight = new Set<Promise<void>>();
  // Full parts not yet sent (the multipart upload being created, or the queue full).
  const ready: { data: Buffer; number: number }[] = [];
  let failure: Error | undefined;
  let part: Buffer | undefined;
  let filled = 0;
  let partNumber = 0;
  // The body has ended (or failed): nothing more to pause or resume.
  let bodyDone = false;
  // Wakes the reader (or the final drain) when the pump made progress or something failed.
  let wake: () => void = () => undefined;
  let gateOpen = options.gate === undefined;

  const fail = (error: Error) => {
    if (!failure) {
      failure = error;
      options.onFailure?.(error);
    }
    wake();
  };

  const sendPart = (data: Buffer, number: number) => {
    const p = s3
      .send(
        new UploadPartCommand({
          Bucket: location.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: number,
          Body: data,
          ChecksumCRC32: crc32Base64(digest.partCrc32(number)),
        }),
      )
      .then((out) => {
        parts.push({ PartNumber: number, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32 });
      })
      .catch(fail)
      .finally(() => {
        inflight.delete(p);
        pump();
      });
    inflight.add(p);
  };

  // Sends what is ready as far as the queue allows; the body is paused while anything waits.
  let creating: Promise<void> | undefined;
  const pump = () => {
    if (failure) return wake();
    if (ready.length > 0 && !uploadId) {
      if (creating || !gateOpen) return body.pause();
      creating = s3
        .send(
          new CreateMultipartUploadCommand({
            Bucket: location.bucket,
            Key: key,
            ContentType: "application/octet-stream",
            ChecksumAlgorithm: "CRC32",
            ...sse,
          }),
        )
        .then((created) => {
          uploadId = created.UploadId;
          pump();
        }, fail);
      return;
    }
    while (ready.length > 0 && inflight.size < queueSize) {
      const next = ready.shift()!;
      sendPart(next.data, next.number);
    }
    if (!bodyDone) {
      if (ready.length > 0) body.pause();
      else body.resume();
    }
    wake();
  };

  const queuePart = (data: Buffer) => {
    if (partNumber >= MAX_PARTS) return fail(tooLarge(partSize));
    ready.push({ data, number: ++partNumber });
    pump();
  };

  const onData = (chunk: Buffer) => {
    if (failure) return;
    digest.update(chunk);
    options.onBytes?.(chunk.length);
    for (let at = 0; at < chunk.length;) {
      part ??= Buffer.allocUnsafe(partSize);
      const take = Math.min(chunk.length - at, partSize - filled);
      chunk.copy(part, filled, at, at + take);
      filled += take;
      at += take;
      if (filled === partSize) {
        queuePart(part);
        part = undefined;
        filled = 0;
      }
    }
  };

  /** Resolves when `done()` holds, or rejects with the first failure. */
  const until = (done: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (failure) reject(failure);
        else if (done()) resolve();
        else wake = check;
      };
      check();
    });

  options.gate?.then(() => {
    gateOpen = true;
    pump();
  }, fail);

  try {
    finished(body, { writable: false }, (error) => {
      bodyDone = true;
      if (error) fail(error);
      else wake();
    });
    body.on("data", onData);
    await until(() => bodyDone);
    body.off("data", onData);
    if (options.beforeComplete) await Promise.race([options.beforeComplete, until(() => false)]);
    const sha256 = digest.finish();
    const last = part ? part.subarray(0, filled) : Buffer.alloc(0);
    if (partNumber === 0) {
      await until(() => gateOpen);
      // Smaller than one part: a single PUT.
      await s3.send(
        new PutObjectCommand({
          Bucket: location.bucket,
          Key: key,
          Body: last,
          ContentType: "application/octet-stream",
          ChecksumCRC32: crc32Base64(digest.crc32.whole),
          ...sse,
        }),
      );
    } else {
      if (filled > 0) queuePart(last);
      await until(() => ready.length === 0 && inflight.size === 0 && uploadId !== undefined);
      parts.sort((a, b) => a.PartNumber! - b.PartNumber!);
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: location.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      uploadId = undefined;
    }
    return { size: digest.size, sha256, crc32: digest.crc32 };
  } catch (error) {
    fail(error as Error);
    body.off("data", onData);
    body.destroy();
    // A multipart upload still being created when the failure landed is aborted too, not orphaned.
    await creating;
    await Promise.allSettled([...inflight]);
    if (uploadId)
      await s3
        .send(
          new AbortMultipartUploadCommand({
            Bucket: location.bucket,
            Key: key,
            UploadId: uploadId,
          }),
        )
        .catch(() => undefined);
    throw failure;
  }
}
