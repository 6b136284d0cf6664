/**
 * Multipart uploads of a process that died (SIGKILL, a lost runner) cannot
 * be aborted by that process. A running backup therefore keeps a lease object
 * in its folder fresh, and every later backup or prune aborts the multipart
 * uploads of backups whose lease went stale, so no orphaned part outlives the
 * next run (the bucket's lifecycle rule is the slower backstop).
 */
import {
  AbortMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { backupFolder, backupsPrefix, idOfKey } from "./manifest";
import type { S3Location } from "./s3";

export interface LeaseTiming {
  /** How often a running backup renews its lease. */
  heartbeatMs: number;
  /** A lease older than this belongs to a dead process. */
  staleMs: number;
}

export const DEFAULT_LEASE: LeaseTiming = { heartbeatMs: 30_000, staleMs: 5 * 60_000 };

const leaseKey = (prefix: string, id: string) => `${backupFolder(prefix, id)}.lease`;

async function writeLease(
  s3: S3Client,
  location: S3Location,
  id: string,
  now: Date,
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: location.bucket,
      Key: leaseKey(location.prefix, id),
      Body: JSON.stringify({ heartbeatAt: now.toISOString(), pid: process.pid }),
      ContentType: "application/json",
      ...(location.kmsKeyId
        ? { ServerSideEncryption: "aws:kms", SSEKMSKeyId: location.kmsKeyId }
        : {}),
    }),
  );
}

/** Take the lease and keep renewing it until `release()`. */
export async function holdLease(
  s3: S3Client,
  location: S3Location,
  id: string,
  timing: LeaseTiming,
  clock: () => Date,
): Promise<{ release(): void }> {
  await writeLease(s3, location, id, clock());
  const timer = setInterval(() => {
    writeLease(s3, location, id, clock()).catch(() => undefined);
  }, timing.heartbeatMs);
  timer.unref();
  return { release: () => clearInterval(timer) };
}

async function leaseAge(
  s3: S3Client,
  location: S3Location,
  id: string,
  now: Date,
): Promise<number> {
  try {
    const got = await s3.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: leaseKey(location.prefix, id) }),
    );
    const body = JSON.parse(await got.Body!.transformToString()) as { heartbeatAt?: string };
    return now.getTime() - new Date(body.heartbeatAt ?? 0).getTime();
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchKey") return Number.POSITIVE_INFINITY;
    throw error;
  }
}

/**
 * Abort the multipart uploads under the prefix whose backup is not `ownId`
 * and whose lease is stale. Returns the keys aborted. Paginates fully.
 */
export async function abortOrphanedUploads(
  s3: S3Client,
  location: S3Location,
  options: { ownId?: string; timing: LeaseTiming; now: Date },
): Promise<string[]> {
  const aborted: string[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  const ages = new Map<string, number>();
  do {
    const page = await s3.send(
      new ListMultipartUploadsCommand({
        Bucket: location.bucket,
        Prefix: backupsPrefix(location.prefix),
        KeyMarker: keyMarker,
        UploadIdMarker: uploadIdMarker,
      }),
    );
    for (const upload of page.Uploads ?? []) {
      const id = idOfKey(location.prefix, upload.Key ?? "");
      if (!id || id === options.ownId) continue;
      if (!ages.has(id)) ages.set(id, await leaseAge(s3, location, id, options.now));
      if (ages.get(id)! < options.timing.staleMs) continue;
      await s3.send(
        new AbortMultipartUploadCommand({
          Bucket: location.bucket,
          Key: upload.Key,
          UploadId: upload.UploadId,
        }),
      );
      aborted.push(upload.Key!);
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (keyMarker);
  return aborted;
}

/** Abort every multipart upload of one key (our own failed upload), whatever the SDK managed. */
export async function abortUploadsOf(
  s3: S3Client,
  location: S3Location,
  key: string,
): Promise<number> {
  const page = await s3.send(
    new ListMultipartUploadsCommand({ Bucket: location.bucket, Prefix: key }),
  );
  let n = 0;
  for (const upload of page.Uploads ?? []) {
    if (upload.Key !== key) continue;
    await s3.send(
      new AbortMultipartUploadCommand({
        Bucket: location.bucket,
        Key: key,
        UploadId: upload.UploadId,
      }),
    );
    n++;
  }
  return n;
}
