/**
 * Confirming an uploaded dump without downloading it again.
 *
 * S3 computes a CRC32 of every part it receives; the SDK sends its own with
 * the part, and S3 refuses a part whose bytes do not match it. On HEAD (with
 * checksum mode) S3 reports the object's checksum: for an object uploaded in
 * parts, the CRC32 of its parts' CRC32s (COMPOSITE); for a single PUT, or a
 * FULL_OBJECT upload, the CRC32 of the whole object. Comparing that, and the
 * size, with the CRC32s of the bytes this process hashed proves that S3 holds
 * exactly those bytes, in that order: what reading the object back proved,
 * for one request instead of the object's size again. A nightly backup from a
 * CI runner outside AWS pays egress for every byte it reads back, and on a
 * machine whose cores the dump keeps busy the read-back was its slowest tail.
 *
 * A server that reports no checksum gets the read-back instead, so the
 * guarantee never depends on what the S3 implementation supports.
 */
import { pipeline, type Readable } from "node:stream";
import { crc32 } from "node:zlib";
import type { S3Client } from "@aws-sdk/client-s3";
import { crc32Base64, HashingStream } from "./checksum";
import { explainS3Error, type S3Location } from "./s3";

/** What the backup hashed of one object: its size, SHA-256, and CRC32s (StreamDigest.crc32). */
export interface SentObject {
  key: string;
  size: number;
  sha256: string;
  crc32: { whole: number; parts: number[] };
}

/** S3's COMPOSITE CRC32 of an object uploaded in parts: the CRC32 of the parts' CRC32s, then `-N`. */
export function compositeCrc32(parts: readonly number[]): string {
  const all = Buffer.alloc(4 * parts.length);
  parts.forEach((p, i) => all.writeUInt32BE(p >>> 0, 4 * i));
  return `${crc32Base64(crc32(all))}-${parts.length}`;
}

/**
 * Every form S3 may report for these bytes: the whole object's CRC32 (a single PUT, or a
 * FULL_OBJECT multipart upload) and the composite of the parts (with and without `-N`, which
 * some servers leave off).
 */
export function acceptedChecksums(sent: SentObject["crc32"]): string[] {
  const composite = compositeCrc32(sent.parts);
  return [crc32Base64(sent.whole), composite, composite.replace(/-\d+$/, "")];
}

export class StoredObjectMismatchError extends Error {
  constructor(key: string, sent: SentObject, stored: { size?: number; crc32?: string }) {
    super(
      `${key} is stored as ${stored.size ?? "?"} bytes with CRC32 ${stored.crc32 ?? "?"}, but the backup sent ` +
        `${sent.size} bytes with CRC32 ${acceptedChecksums(sent.crc32).slice(0, 2).join(" or ")}; ` +
        `the backup is not recorded and latest.json is unchanged`,
    );
    this.name = "StoredObjectMismatchError";
  }
}

/**
 * Confirm that S3 holds exactly the bytes sent: by the checksum it reports, or, when it reports
 * none, by reading the object back and checking its SHA-256. Says which one was used.
 */
export async function confirmStored(
  s3: S3Client,
  location: S3Location,
  sent: SentObject,
  onBytes?: (bytes: number) => void,
): Promise<"stored checksum" | "read back"> {
  const { HeadObjectCommand } =
    require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  let head;
  try {
    head = await s3.send(
      new HeadObjectCommand({ Bucket: location.bucket, Key: sent.key, ChecksumMode: "ENABLED" }),
    );
  } catch (error) {
    throw explainS3Error(error, `confirm ${sent.key}`, location);
  }
  const stored = { size: head.ContentLength, crc32: head.ChecksumCRC32 };
  if (stored.size !== sent.size) throw new StoredObjectMismatchError(sent.key, sent, stored);
  if (stored.crc32 === undefined) {
    await verifyObject(s3, location, sent, onBytes);
    return "read back";
  }
  if (!acceptedChecksums(sent.crc32).includes(stored.crc32))
    throw new StoredObjectMismatchError(sent.key, sent, stored);
  onBytes?.(sent.size);
  return "stored checksum";
}

/** Read an object back and check it against its manifest entry, without keeping it. */
export async function verifyObject(
  s3: S3Client,
  location: S3Location,
  expected: { key: string; size: number; sha256: string },
  onBytes?: (bytes: number) => void,
): Promise<void> {
  const { GetObjectCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  let got;
  try {
    got = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: expected.key }));
  } catch (error) {
    throw explainS3Error(error, `read ${expected.key} back`, location);
  }
  const hasher = new HashingStream(expected);
  await new Promise<void>((resolve, reject) => {
    hasher.on("data", (chunk: Buffer) => onBytes?.(chunk.length));
    pipeline(got.Body as Readable, hasher, (error) => (error ? reject(error) : resolve()));
    hasher.resume();
  });
}
