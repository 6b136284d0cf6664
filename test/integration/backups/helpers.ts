/**
 * Shared by the backup integration tests: a bucket per test file on the
 * harness's MinIO, a fresh prefix per test, a seeded source database with
 * several schemas, large objects and non-ASCII data, and S3 peeks.
 */
import { randomBytes } from "node:crypto";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { Client } from "pg";
import type { S3Location } from "../../../infra/backups/s3";
import { readBackupMetric, type MetricTarget } from "../../../infra/backups/metric";
import { services, sqlDatabase, type SqlDatabase } from "../../support/services";

export function s3(endpoint = services().s3.endpoint): S3Client {
  const s = services().s3;
  return new S3Client({
    endpoint,
    region: s.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
  });
}

export async function bucket(
  name: string,
  options: { objectLock?: boolean } = {},
): Promise<string> {
  const client = s3();
  try {
    await client.send(
      new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: options.objectLock }),
    );
  } catch (error) {
    if (!/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test((error as Error).name)) throw error;
  } finally {
    client.destroy();
  }
  return name;
}

export function location(bucketName: string, overrides: Partial<S3Location> = {}): S3Location {
  const s = services().s3;
  return {
    bucket: bucketName,
    prefix: `t-${randomBytes(4).toString("hex")}/`,
    region: s.region,
    endpoint: s.endpoint,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    ...overrides,
  };
}

export function metricTarget(stack: string): MetricTarget {
  const cw = services().cloudwatch;
  return {
    stack,
    region: cw.region,
    endpoint: cw.endpoint,
    credentials: { accessKeyId: cw.accessKeyId, secretAccessKey: cw.secretAccessKey },
  };
}

/** Freshness data points moto holds for `stack` from the last hour (each good backup adds one). */
export async function metricCount(stack: string): Promise<number> {
  const now = Date.now();
  const points = await readBackupMetric(
    metricTarget(stack),
    new Date(now - 3_600_000),
    new Date(now + 60_000),
  );
  return points.reduce((n, p) => n + p.count, 0);
}

export type Db = SqlDatabase;

export function database(prefix = "bk"): Promise<Db> {
  return sqlDatabase(prefix);
}

/** An empty database (template0): what a restore or drill targets. */
export async function emptyDatabase(prefix = "rt"): Promise<Db> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new Client({ connectionString: services().postgres.adminUrl });
  await admin.connect();
  await admin.query(`create database ${name} template template0`);
  await admin.end();
  const url = new URL(services().postgres.adminUrl);
  url.pathname = `/${name}`;
  const sql = async <T>(text: string, params?: unknown[]) => {
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  };
  return {
    name,
    url: url.toString(),
    sql,
    async drop() {
      const c = new Client({ connectionString: services().postgres.adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export const SEED_SQL = `
create schema billing;
create schema "Ünïcode schema";
create table public.notes (id serial primary key, body text not null, tags text[]);
insert into public.notes (body, tags)
  select 'note ' || g || ' — ünïcødé ✓ 日本語 ' || repeat('x', g % 50), array['a', 'ß']
    from generate_series(1, 500) g;
create table billing.invoices (id bigint generated always as identity primary key, amount numeric(12,2), note text);
insert into billing.invoices (amount, note) select g * 1.5, 'Rechnung Nr. ' || g from generate_series(1, 300) g;
create table "Ünïcode schema"."Tàble ☃" (k text primary key, v jsonb);
insert into "Ünïcode schema"."Tàble ☃" values ('ключ', '{"emoji": "🎉", "quote": "it''s"}'), ('鍵', '[1,2,3]');
create sequence public.free_counter start 1000;
select nextval('public.free_counter');
create table public.files (id int primary key, blob oid);
insert into public.files values (1, lo_from_bytea(0, convert_to('large object ✓ ' || repeat('y', 100000), 'UTF8')));
insert into public.files values (2, lo_from_bytea(0, decode(repeat('00ff', 5000), 'hex')));
`;

export async function seeded(prefix = "bk"): Promise<Db> {
  const db = await database(prefix);
  await db.sql(SEED_SQL);
  return db;
}

export async function listKeys(loc: S3Location): Promise<string[]> {
  const client = s3(loc.endpoint);
  const keys: string[] = [];
  let token: string | undefined;
  try {
    do {
      const out = await client.send(
        new ListObjectsV2Command({
          Bucket: loc.bucket,
          Prefix: loc.prefix,
          ContinuationToken: token,
        }),
      );
      keys.push(...(out.Contents ?? []).map((c) => c.Key!));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  } finally {
    client.destroy();
  }
  return keys.sort();
}

/**
 * In-progress multipart uploads under the location. MinIO lists them only by
 * exact key, so every key a run announced in a lease is asked for, as well as
 * the prefix (what AWS answers).
 */
export async function multipartUploads(loc: S3Location): Promise<string[]> {
  const client = s3();
  const found = new Set<string>();
  try {
    const ask = async (prefix: string) => {
      const out = await client.send(
        new ListMultipartUploadsCommand({ Bucket: loc.bucket, Prefix: prefix }),
      );
      for (const u of out.Uploads ?? []) if (u.Key!.startsWith(loc.prefix)) found.add(u.Key!);
    };
    await ask(loc.prefix);
    for (const key of (await listKeys(loc)).filter((k) => k.endsWith("/.lease"))) {
      const lease = JSON.parse(await getText(loc, key)) as { keys?: string[] };
      for (const k of lease.keys ?? []) await ask(k);
    }
  } finally {
    client.destroy();
  }
  return [...found].sort();
}

export async function getText(loc: S3Location, key: string): Promise<string> {
  const client = s3();
  try {
    const got = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }));
    return await got.Body!.transformToString();
  } finally {
    client.destroy();
  }
}

export async function getBytes(loc: S3Location, key: string): Promise<Buffer> {
  const client = s3();
  try {
    const got = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }));
    return Buffer.from(await got.Body!.transformToByteArray());
  } finally {
    client.destroy();
  }
}

export async function putBytes(loc: S3Location, key: string, body: Buffer | string): Promise<void> {
  const client = s3();
  try {
    await client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: key, Body: body }));
  } finally {
    client.destroy();
  }
}

/** A table's rows in a stable order, as text, for comparing two databases. */
export async function rowsOf(db: Db, table: string): Promise<string[]> {
  const rows = await db.sql<{ r: string }>(`select t::text as r from ${table} t order by 1`);
  return rows.map((r) => r.r);
}
