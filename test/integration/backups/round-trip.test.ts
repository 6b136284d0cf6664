/**
 * Backup → restore of a database with several schemas, large objects and
 * non-ASCII data, on the harness's Postgres and MinIO: the SHA-256s match,
 * row counts equal the manifest, and the restored data equals the source.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackup } from "../../../infra/backups/backup";
import { latestKey, parseManifest } from "../../../infra/backups/manifest";
import { runRestore } from "../../../infra/backups/restore";
import { closePools } from "../../../infra/postgres/client";
import {
  bucket,
  emptyDatabase,
  getBytes,
  getText,
  listKeys,
  location,
  multipartUploads,
  rowsOf,
  seeded,
  type Db,
} from "./helpers";

const TABLES = ["public.notes", "billing.invoices", '"Ünïcode schema"."Tàble ☃"', "public.files"];
let source: Db;
let bucketName: string;

beforeAll(async () => {
  bucketName = await bucket("rt-backups");
  source = await seeded("bkrt");
});

afterAll(async () => {
  await source?.drop();
  await closePools();
});

describe.each([
  { jobs: 1, encrypted: false },
  { jobs: 3, encrypted: false },
  { jobs: 1, encrypted: true },
])("backup and restore (jobs $jobs, client-side encryption $encrypted)", ({ jobs, encrypted }) => {
  const key = encrypted
    ? createHash("sha256").update("test key").digest().toString("base64")
    : undefined;
  const loc = location("rt-backups");
  let target: Db;

  afterAll(async () => {
    await target?.drop();
  });

  it("uploads dumps whose SHA-256 equals the manifest, then points latest.json at it", async () => {
    const report = await runBackup({
      databaseUrl: source.url,
      location: { ...loc, bucket: bucketName },
      jobs,
      encryptionKey: key,
      stack: "test",
    });
    const manifest = parseManifest(await getText(loc, report.manifestKey), report.manifestKey);
    expect(manifest).toEqual(report.manifest);
    expect(manifest.objects).toHaveLength(
      jobs === 1 ? 1 : 2 + Math.min(jobs, manifest.tables.length),
    );
    for (const o of manifest.objects) {
      const bytes = await getBytes(loc, o.key);
      expect(createHash("sha256").update(bytes).digest("hex"), o.key).toBe(o.sha256);
      expect(bytes.length).toBe(o.size);
      // A custom-format archive starts with PGDMP; an encrypted one must not.
      expect(bytes.subarray(0, 5).toString("latin1") === "PGDMP", o.key).toBe(!encrypted);
    }
    expect(JSON.parse(await getText(loc, latestKey(loc.prefix)))).toMatchObject({
      id: report.id,
      manifestKey: report.manifestKey,
      sha256: manifest.sha256,
    });
    expect(manifest.tables.map((t) => `${t.schema}.${t.table}`)).toEqual(
      expect.arrayContaining([
        "public.notes",
        "billing.invoices",
        "Ünïcode schema.Tàble ☃",
        "public.files",
      ]),
    );
    expect(manifest.tables.find((t) => t.table === "notes")).toEqual({
      schema: "public",
      table: "notes",
      rows: 500,
      exact: true,
    });
    expect(manifest.largeObjects).toBe(2);
    expect(manifest.encryption.client !== undefined).toBe(encrypted);
    expect(await multipartUploads(loc)).toEqual([]);
  });

  it("restores into an empty database with equal rows, large objects and sequences", async () => {
    target = await emptyDatabase("bkrt_target");
    const report = await runRestore({ databaseUrl: target.url, location: loc, encryptionKey: key });
    expect(report.tables.length).toBeGreaterThanOrEqual(4);
    expect(report.tables.every((t) => t.matches)).toBe(true);
    // One stream goes straight into pg_restore's own transaction; several objects need ours.
    expect(report.via).toBe(jobs === 1 ? "pg_restore" : "psql");
    for (const table of TABLES)
      expect(await rowsOf(target, table), table).toEqual(await rowsOf(source, table));
    const lo = "select id, md5(lo_get(blob)) as h from public.files order by id";
    expect(await target.sql(lo)).toEqual(await source.sql(lo));
    const seq = "select last_value from public.free_counter";
    expect(await target.sql(seq)).toEqual(await source.sql(seq));
  });

  it("keeps only the backup folder and latest.json under the prefix", async () => {
    const keys = await listKeys(loc);
    expect(keys.filter((k) => !k.includes("/backups/"))).toEqual([latestKey(loc.prefix)]);
  });
});
