/**
 * Everything that can be known to fail before a byte is uploaded: the
 * connection string, the server, the client programs' versions, the bucket
 * and the permissions on it. Each failure is a BackupSetupError with a fix.
 *
 * The write check starts a multipart upload and aborts it at once: it needs
 * exactly the permissions a real upload needs (s3:PutObject, KMS
 * GenerateDataKey, s3:AbortMultipartUpload) and leaves no object behind, which
 * matters because the backup role may not delete.
 */
import { randomBytes } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import { withConnection } from "../postgres/client";
import { backupsPrefix } from "./manifest";
import {
  BackupSetupError,
  parseConnection,
  requirePgBinary,
  scrubPg,
  type PgBinary,
  type PgConnection,
  type PgProgram,
} from "./pg-tools";
import { explainS3Error, type S3Location } from "./s3";

export interface SourcePreflight {
  connection: PgConnection;
  serverMajor: number;
  serverVersion: string;
}

/** Parse and reach the database; the error names host and database, never the password. */
export async function preflightSource(url: string, source?: string): Promise<SourcePreflight> {
  const connection = parseConnection(url, source);
  try {
    return await withConnection(
      { connectionString: url, applicationName: "runbooks-backup" },
      `connect to ${connection.target}`,
      async (client) => {
        const r = await client.query(
          "select current_setting('server_version') as v, current_setting('server_version_num')::int as n",
        );
        const row = r.rows[0] as { v: string; n: number };
        return { connection, serverVersion: row.v, serverMajor: Math.floor(row.n / 10000) };
      },
    );
  } catch (error) {
    throw new BackupSetupError(
      scrubPg((error as Error).message, connection),
      "check the host, port, database, user and password of the connection string (runbooks:database.urlSecretRef, --database-url or DATABASE_URL)",
      "require-reachable-database",
    );
  }
}

/** The newest client programs, each at least the server's major. */
export function preflightPrograms(
  programs: readonly PgProgram[],
  serverMajor: number,
  env: NodeJS.ProcessEnv = process.env,
): Record<PgProgram, PgBinary> {
  const out = {} as Record<PgProgram, PgBinary>;
  for (const p of programs) out[p] = requirePgBinary(p, serverMajor, env);
  return out;
}

async function step<T>(doing: string, location: S3Location, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw explainS3Error(error, doing, location);
  }
}

/** The bucket exists, the prefix can be listed, and an upload can be started (and aborted). */
export async function preflightBucket(
  s3: S3Client,
  location: S3Location,
  options: { write: boolean },
): Promise<void> {
  await step("check the backup bucket", location, () =>
    s3.send(new HeadBucketCommand({ Bucket: location.bucket })),
  );
  await step("list the backup prefix", location, () =>
    s3.send(
      new ListObjectsV2Command({ Bucket: location.bucket, Prefix: location.prefix, MaxKeys: 1 }),
    ),
  );
  if (!options.write) return;
  const key = `${backupsPrefix(location.prefix)}.preflight-${randomBytes(6).toString("hex")}`;
  const started = await step("start an upload in the backup bucket", location, () =>
    s3.send(
      new CreateMultipartUploadCommand({
        Bucket: location.bucket,
        Key: key,
        ...(location.kmsKeyId
          ? { ServerSideEncryption: "aws:kms", SSEKMSKeyId: location.kmsKeyId }
          : {}),
      }),
    ),
  );
  await step("abort an upload in the backup bucket", location, () =>
    s3.send(
      new AbortMultipartUploadCommand({
        Bucket: location.bucket,
        Key: key,
        UploadId: started.UploadId,
      }),
    ),
  );
}
