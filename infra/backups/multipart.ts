/**
 * A streaming multipart upload that fails fast: parts of `partSize` bytes go
 * up `queueSize` at a time while the source keeps streaming (memory is
 * bounded by partSize × (queueSize + 1)); the first part that fails (after
 * the SDK's own retries) aborts the multipart upload at once and rejects.
 *
 * Why not @aws-sdk/lib-storage's `Upload`: when one part fails it keeps
 * reading and uploading the rest of the source with its other workers and
 * aborts only once they are all done; measured against a fault-injecting
 * proxy, a backup whose second part failed kept uploading and then never
 * settled. A backup must stop at the first failure, abort, and say so.
 */
import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { S3Location } from "./s3";

export interface MultipartOptions {
  s3: S3Client;
  location: S3Location;
  key: string;
  body: Readable;
  partSizeBytes: number;
  queueSize: number;
}

/** S3's limit on the parts of one object. */
export const MAX_PARTS = 10_000;

function tooLarge(partSize: number): Error {
  return new Error(
    `the object exceeds S3's ${MAX_PARTS} parts of ${partSize / 1024 / 1024} MiB; use --jobs to split the dump into several objects`,
  );
}

/** Upload `body` to `key`; resolves only after S3 completed the object. */
export async function uploadStream(options: MultipartOptions): Promise<void> {
  const { s3, location, key, body } = options;
  const sse = location.kmsKeyId
    ? { ServerSideEncryption: "aws:kms" as const, SSEKMSKeyId: location.kmsKeyId }
    : {};
  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];
  const inflight = new Set<Promise<void>>();
  let failure: Error | undefined;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let partNumber = 0;

  const sendPart = (data: Buffer, number: number) => {
    const p = s3
      .send(
        new UploadPartCommand({
          Bucket: location.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: number,
          Body: data,
          ChecksumAlgorithm: "CRC32",
        }),
      )
      .then((out) => {
        parts.push({ PartNumber: number, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32 });
      })
      .catch((error: Error) => {
        failure ??= error;
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };

  const take = (): Buffer => {
    const all = Buffer.concat(pending, pendingBytes);
    const part = all.subarray(0, options.partSizeBytes);
    const rest = all.subarray(options.partSizeBytes);
    pending = rest.length ? [Buffer.from(rest)] : [];
    pendingBytes = rest.length;
    return part;
  };

  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (failure) break;
      pending.push(chunk);
      pendingBytes += chunk.length;
      while (pendingBytes >= options.partSizeBytes && !failure) {
        if (!uploadId) {
          const created = await s3.send(
            new CreateMultipartUploadCommand({
              Bucket: location.bucket,
              Key: key,
              ContentType: "application/octet-stream",
              ChecksumAlgorithm: "CRC32",
              ...sse,
            }),
          );
          uploadId = created.UploadId;
        }
        while (inflight.size >= options.queueSize) await Promise.race(inflight);
        if (failure) break;
        if (partNumber >= MAX_PARTS) throw tooLarge(options.partSizeBytes);
        sendPart(take(), ++partNumber);
      }
    }
    if (failure) throw failure;
    if (!uploadId) {
      // Smaller than one part: a single PUT.
      await s3.send(
        new PutObjectCommand({
          Bucket: location.bucket,
          Key: key,
          Body: Buffer.concat(pending, pendingBytes),
          ContentType: "application/octet-stream",
          ChecksumAlgorithm: "CRC32",
          ...sse,
        }),
      );
      return;
    }
    if (pendingBytes > 0) {
      if (partNumber >= MAX_PARTS) throw tooLarge(options.partSizeBytes);
      sendPart(take(), ++partNumber);
    }
    while (inflight.size > 0) await Promise.race(inflight);
    if (failure) throw failure;
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
  } catch (error) {
    body.destroy();
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
    throw failure ?? error;
  }
}
