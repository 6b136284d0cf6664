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
import { listBackups } from "./listing";
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

interface LeaseBody {
  heartbeatAt: string;
  pid: number;
  /** The objects this run uploads: S3 servers that list multipart uploads only by exact key need them. */
  keys: string[];
}

async function writeLease(
  s3: S3Client,
  location: S3Location,
  id: string,
  body: LeaseBody,
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: location.bucket,
      Key: leaseKey(location.prefix, id),
      Body: JSON.stringify(body),
      ContentType: "application/json",
      ...(location.kmsKeyId
        ? { ServerSideEncryption: "aws:kms", SSEKMSKeyId: location.kmsKeyId }
        : {}),
    }),
  );
}

export interface Lease {
  /** Record the keys this run is about to upload (before the first part). */
  announce(keys: string[]): Promise<void>;
  release(): void;
}

/** Take the lease and keep renewing it until `release()`. */
export async function holdLease(
  s3: S3Client,
  location: S3Location,
  id: string,
  timing: LeaseTiming,
  clock: () => Date,
): Promise<Lease> {
  let keys: string[] = [];
  const write = () =>
    writeLease(s3, location, id, { heartbeatAt: clock().toISOString(), pid: process.pid, keys });
  await write();
  const timer = setInterval(() => void write().catch(() => undefined), timing.heartbeatMs);
  timer.unref();
  return {
    async announce(next) {
      keys = next;
      await write();
    },
    release: () => clearInterval(timer),
  };
}

async function readLease(
  s3: S3Client,
  location: S3Location,
  id: string,
): Promise<LeaseBody | undefined> {
  try {
    const got = await s3.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: leaseKey(location.prefix, id) }),
    );
    return JSON.parse(await got.Body!.transformToString()) as LeaseBody;
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchKey") return undefined;
    throw error;
  }
}

/** Multipart uploads whose key starts with `prefix` (all pages). */
async function uploadsUnder(
  s3: S3Client,
  location: S3Location,
  prefix: string,
): Promise<{ key: string; uploadId: string }[]> {
  const out: { key: string; uploadId: string }[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListMultipartUploadsCommand({
        Bucket: location.bucket,
        Prefix: prefix,
        KeyMarker: keyMarker,
        UploadIdMarker: uploadIdMarker,
      }),
    );
    for (const u of page.Uploads ?? [])
      if (u.Key?.startsWith(prefix)) out.push({ key: u.Key, uploadId: u.UploadId! });
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (keyMarker);
  return out;
}

/**
 * Abort the multipart uploads of backups that are not `ownId`, have no
 * manifest, and whose lease is stale (or missing). Returns the keys aborted.
 *
 * Found two ways, because S3 servers differ: a listing by the `backups/`
 * prefix (AWS), and by each exact key the dead run announced in its lease
 * (MinIO lists in-progress uploads only by exact object name).
 */
export async function abortOrphanedUploads(
  s3: S3Client,
  location: S3Location,
  options: { ownId?: string; timing: LeaseTiming; now: Date },
): Promise<string[]> {
  const incomplete = (await listBackups(s3, location)).filter(
    (b) => !b.complete && b.id !== options.ownId,
  );
  const candidates = new Map<string, { key: string; uploadId: string }>();
  for (const u of await uploadsUnder(s3, location, backupsPrefix(location.prefix)))
    candidates.set(u.uploadId, u);
  const stale = new Set<string>();
  for (const b of incomplete) {
    const lease = await readLease(s3, location, b.id);
    const age = lease
      ? options.now.getTime() - new Date(lease.heartbeatAt).getTime()
      : Number.POSITIVE_INFINITY;
    if (age < options.timing.staleMs) continue;
    stale.add(b.id);
    for (const key of lease?.keys ?? [])
      for (const u of await uploadsUnder(s3, location, key)) candidates.set(u.uploadId, u);
  }
  const aborted: string[] = [];
  for (const u of candidates.values()) {
    const id = idOfKey(location.prefix, u.key);
    // Uploads of a folder with a live lease (or a complete one) belong to someone else: left alone.
    if (!id || !stale.has(id)) continue;
    await s3.send(
      new AbortMultipartUploadCommand({
        Bucket: location.bucket,
        Key: u.key,
        UploadId: u.uploadId,
      }),
    );
    aborted.push(u.key);
  }
  return aborted.sort();
}

/** Abort every multipart upload of one key (our own failed upload). */
export async function abortUploadsOf(
  s3: S3Client,
  location: S3Location,
  key: string,
): Promise<number> {
  const uploads = (await uploadsUnder(s3, location, key)).filter((u) => u.key === key);
  for (const u of uploads)
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: location.bucket, Key: key, UploadId: u.uploadId }),
    );
  return uploads.length;
}
