/**
 * Where backups live and how we talk to it. A plain, serializable settings
 * object travels everywhere (provider inputs, commands, tests); the S3 client
 * is made from it inside each call and destroyed after, so no client or
 * credential is ever held by a module or captured in a closure.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { BackupSetupError } from "./pg-tools";

export interface S3Location {
  bucket: string;
  /** Key prefix for this stack's backups, ending in '/'. */
  prefix: string;
  region: string;
  /** A custom endpoint (MinIO, a test proxy); omit for AWS. */
  endpoint?: string;
  /** Static credentials (the local S3 server); omit to use the AWS credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** SSE-KMS key for uploads; omit to use the bucket's default encryption. */
  kmsKeyId?: string;
}

/**
 * How long S3 may keep a request waiting. The SDK's default for S3 is forever: a half-open
 * connection (a NAT that dropped it, a proxy that stalled) would hang a backup, and the deploy waiting
 * for its pre-change backup, until something outside killed it. `idleMs` is time with no byte
 * sent or received, not the request's length, so a large part that keeps moving is never cut; a
 * timed-out request is retried like any transient failure (maxAttempts), then the upload aborted.
 */
export interface S3Timeouts {
  connectMs: number;
  idleMs: number;
}

export const DEFAULT_S3_TIMEOUTS: S3Timeouts = { connectMs: 10_000, idleMs: 120_000 };

/** Attempts per request, the first included: the SDK retries throttling, 5xx and timeouts. */
const S3_MAX_ATTEMPTS = 3;

/** A fresh client for one operation. Call `destroy()` when done. */
export function s3Client(
  location: S3Location,
  timeouts: S3Timeouts = DEFAULT_S3_TIMEOUTS,
): S3Client {
  const { S3Client: Client } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  return new Client({
    region: location.region,
    endpoint: location.endpoint,
    forcePathStyle: location.endpoint !== undefined,
    // A copy: the SDK writes bookkeeping ($source) into the credentials object it is given,
    // which would otherwise leak into the caller's data (and a BackupJob's state, as a diff).
    credentials: location.credentials && { ...location.credentials },
    // The SDK's own retries cover throttling, 5xx and timeouts; an upload that still fails is aborted.
    maxAttempts: S3_MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: timeouts.connectMs, socketTimeout: timeouts.idleMs },
  });
}

/** Run `fn` with a fresh client (optionally with its own timeouts), destroyed after. */
export async function withS3<T>(location: S3Location, fn: (s3: S3Client) => Promise<T>): Promise<T>;
export async function withS3<T>(
  location: S3Location,
  timeouts: S3Timeouts | undefined,
  fn: (s3: S3Client) => Promise<T>,
): Promise<T>;
export async function withS3<T>(
  location: S3Location,
  ...args: [(s3: S3Client) => Promise<T>] | [S3Timeouts | undefined, (s3: S3Client) => Promise<T>]
): Promise<T> {
  const [timeouts, fn] = args.length === 1 ? [undefined, args[0]] : args;
  const s3 = s3Client(location, timeouts);
  try {
    return await fn(s3);
  } finally {
    s3.destroy();
  }
}

/** `s3://bucket/prefix`, for messages. */
export function describeLocation(location: Pick<S3Location, "bucket" | "prefix">): string {
  return `s3://${location.bucket}/${location.prefix}`;
}

interface AwsErrorLike {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * An S3 failure as a message that says what to do. The SDK's messages carry
 * no credentials, but they can be cryptic ("UnknownError" for a 403 on HEAD).
 */
export function explainS3Error(error: unknown, doing: string, location: S3Location): Error {
  if (error instanceof BackupSetupError) return error;
  const e = (error ?? {}) as AwsErrorLike;
  const code = e.name ?? e.Code ?? "Error";
  const status = e.$metadata?.httpStatusCode;
  const where = describeLocation(location);
  if (code === "NoSuchBucket" || (status === 404 && /bucket/i.test(doing)))
    return new BackupSetupError(
      `${doing}: the bucket '${location.bucket}' does not exist (${where}).`,
      "create it (runbooks:backup.bucket.mode create), or correct runbooks:backup.bucket.name / --bucket",
      "require-backup-bucket",
    );
  if (code === "AccessDenied" || code === "Forbidden" || status === 403)
    return new BackupSetupError(
      `${doing}: access denied on ${where}.`,
      "the credentials need s3:ListBucket on the bucket and s3:PutObject, s3:GetObject and " +
        "s3:AbortMultipartUpload under the prefix (the backup role of runbooks:backupStorage has exactly these); " +
        "check AWS_PROFILE / the OIDC role, or the local stack's S3 credentials",
      "require-backup-permissions",
    );
  if (code === "InvalidAccessKeyId" || code === "SignatureDoesNotMatch")
    return new BackupSetupError(
      `${doing}: the S3 credentials were rejected (${code}).`,
      "check the access key id and secret (AWS_PROFILE, or runbooks:backup.credentials for a custom endpoint)",
      "require-backup-permissions",
    );
  if (code === "TimeoutError")
    return new Error(
      `${doing} (${where}): S3 stopped answering (${e.message ?? "timed out"}), ${S3_MAX_ATTEMPTS} times; ` +
        "nothing was recorded. Fix: check the network path to the endpoint and run it again",
    );
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|getaddrinfo/.test(String(e.message)))
    return new BackupSetupError(
      `${doing}: cannot reach the S3 endpoint ${location.endpoint ?? `in ${location.region}`}.`,
      "start the local services (npm run local) or correct runbooks:backup.endpoint",
      "require-reachable-s3",
    );
  return new Error(
    `${doing} (${where}): ${code}${status ? ` (HTTP ${status})` : ""}: ${e.message ?? String(error)}`,
  );
}
