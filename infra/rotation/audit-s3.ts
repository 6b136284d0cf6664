/**
 * The audit log in the backup bucket: one object per entry,
 * `<prefix><seq, 12 digits>.json`, written with `If-None-Match: *` so a
 * sequence number is claimed once — two writers racing for the same number
 * cannot both win, the loser re-reads the tail and tries the next number.
 * Objects are never overwritten, so with the bucket's Object Lock and
 * versioning the log is append-only on the storage side as well.
 *
 * The tail is found by listing the prefix page by page (a listing answers at
 * most 1,000 keys; a log that outgrew one page must not look shorter).
 */
import { nextEntry, type AuditEntry, type AuditFields, type AuditStore } from "./audit";
import { rotationNow } from "./clock";

export interface S3AuditLocation {
  bucket: string;
  prefix: string;
  region: string;
  /** A non-AWS endpoint (MinIO in the tests). */
  endpoint?: string;
}

const key = (prefix: string, seq: number) => `${prefix}${String(seq).padStart(12, "0")}.json`;

export class S3AuditStore implements AuditStore {
  constructor(private readonly location: S3AuditLocation) {}

  describe(): string {
    return `s3://${this.location.bucket}/${this.location.prefix}`;
  }

  private client() {
    const { S3Client } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
    return new S3Client({
      region: this.location.region,
      ...(this.location.endpoint ? { endpoint: this.location.endpoint, forcePathStyle: true } : {}),
    });
  }

  private async keys(): Promise<string[]> {
    const { ListObjectsV2Command } =
      require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
    const s3 = this.client();
    const out: string[] = [];
    try {
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: this.location.bucket,
            Prefix: this.location.prefix,
            ContinuationToken: token,
          }),
        );
        for (const o of page.Contents ?? []) if (o.Key?.endsWith(".json")) out.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } finally {
      s3.destroy();
    }
    return out.sort();
  }

  private async read(objectKey: string): Promise<string> {
    const { GetObjectCommand } =
      require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
    const s3 = this.client();
    try {
      const got = await s3.send(
        new GetObjectCommand({ Bucket: this.location.bucket, Key: objectKey }),
      );
      return (await got.Body!.transformToString("utf8")).trim();
    } finally {
      s3.destroy();
    }
  }

  async lines(): Promise<string[]> {
    const out: string[] = [];
    for (const k of await this.keys()) out.push(await this.read(k));
    return out;
  }

  async append(fields: AuditFields): Promise<AuditEntry> {
    const { PutObjectCommand } =
      require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
    for (let attempt = 0; attempt < 10; attempt++) {
      const keys = await this.keys();
      const lastKey = keys[keys.length - 1];
      const last = lastKey ? (JSON.parse(await this.read(lastKey)) as AuditEntry) : undefined;
      const entry = nextEntry(last, fields, rotationNow());
      const s3 = this.client();
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: this.location.bucket,
            Key: key(this.location.prefix, entry.seq),
            Body: `${JSON.stringify(entry)}\n`,
            ContentType: "application/json",
            IfNoneMatch: "*",
          }),
        );
        return entry;
      } catch (err) {
        const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata
          ?.httpStatusCode;
        // 412: another writer claimed this number first; 409: a conflicting write in flight.
        if (status !== 412 && status !== 409) throw err;
      } finally {
        s3.destroy();
      }
    }
    throw new Error(
      `could not append to the audit log ${this.describe()}: 10 writers raced for the tail`,
    );
  }
}
