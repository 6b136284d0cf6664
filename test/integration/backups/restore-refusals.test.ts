/**
 * Restore refuses what it must: a tampered, truncated or mis-described
 * object (with nothing committed — the gate of restore-gate.ts), a non-empty
 * target without --force; and restores selected tables. The drill fails on a
 * corrupted backup.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackup } from "../../../infra/backups/backup";
import { runDrill } from "../../../infra/backups/drill";
import { parseManifest, type BackupManifest } from "../../../infra/backups/manifest";
import { RestoreRefusedError, runRestore } from "../../../infra/backups/restore";
import { closePools } from "../../../infra/postgres/client";
import { services } from "../../support/services";
import {
  bucket,
  emptyDatabase,
  getBytes,
  getText,
  location,
  putBytes,
  rowsOf,
  seeded,
  type Db,
} from "./helpers";

let source: Db;
const loc = location("refusals");
let manifest: BackupManifest;
const dumpKey = () => manifest.objects[0]!.key;
let original: Buffer;

const userTables = async (db: Db) =>
  (
    await db.sql<{ t: string }>(
      "select schemaname || '.' || tablename as t from pg_tables where schemaname not in ('pg_catalog', 'information_schema') order by 1",
    )
  ).map((r) => r.t);

beforeAll(async () => {
  await bucket("refusals");
  source = await seeded("bkref");
  const report = await runBackup({ databaseUrl: source.url, location: loc });
  manifest = report.manifest;
  original = await getBytes(loc, dumpKey());
});

afterAll(async () => {
  await source?.drop();
  await closePools();
});

async function withTarget(fn: (db: Db) => Promise<void>): Promise<void> {
  const target = await emptyDatabase("bkref_t");
  try {
    await fn(target);
  } finally {
    await target.drop();
  }
}

describe("a backup that is not what the manifest says", () => {
  afterAll(async () => {
    await putBytes(loc, dumpKey(), original);
  });

  it("is refused when one byte in the middle changed, and nothing is committed", async () => {
    const tampered = Buffer.from(original);
    tampered[Math.floor(tampered.length / 2)]! ^= 0xff;
    await putBytes(loc, dumpKey(), tampered);
    await withTarget(async (target) => {
      await expect(runRestore({ databaseUrl: target.url, location: loc })).rejects.toThrow(
        /rolled back/,
      );
      expect(await userTables(target)).toEqual([]);
    });
  });

  it("is refused when truncated, and nothing is committed", async () => {
    await putBytes(loc, dumpKey(), original.subarray(0, Math.floor(original.length * 0.9)));
    await withTarget(async (target) => {
      await expect(runRestore({ databaseUrl: target.url, location: loc })).rejects.toThrow(
        /rolled back/,
      );
      expect(await userTables(target)).toEqual([]);
    });
  });

  it("is refused when pg_restore accepted every byte but the SHA-256 differs: the gate holds the commit", async () => {
    await putBytes(loc, dumpKey(), original);
    const wrong = { ...manifest, sha256: "0".repeat(64) };
    wrong.objects = [{ ...manifest.objects[0]!, sha256: "0".repeat(64) }];
    const key = dumpKey().replace(/[^/]+$/, "manifest.json");
    const saved = await getText(loc, key);
    await putBytes(loc, key, JSON.stringify(wrong));
    try {
      await withTarget(async (target) => {
        await expect(
          runRestore({ databaseUrl: target.url, location: loc, from: manifest.id }),
        ).rejects.toThrow(/SHA-256 [0-9a-f]{64} but the manifest says 0{64}/);
        // Every table was created and filled inside the transaction; none of it committed.
        expect(await userTables(target)).toEqual([]);
      });
    } finally {
      await putBytes(loc, key, saved);
    }
  });

  it("fails the drill", async () => {
    const tampered = Buffer.from(original);
    tampered[tampered.length - 100]! ^= 0x01;
    await putBytes(loc, dumpKey(), tampered);
    const report = await runDrill({
      scratchServerUrl: services().postgres.adminUrl,
      location: loc,
    });
    expect(report.passed).toBe(false);
    expect(report.findings.map((f) => f.id)).toContain("require-restorable-backup");
    const left = await source.sql<{ n: number }>(
      "select count(*)::int as n from pg_database where datname = $1",
      [report.scratchDatabase],
    );
    expect(left[0]!.n).toBe(0);
  });
});

describe("targets", () => {
  it("refuses a non-empty target, naming what would be dropped, and changes nothing", async () => {
    const before = await rowsOf(source, "public.notes");
    const error = await runRestore({ databaseUrl: source.url, location: loc }).catch((e) => e);
    expect(error).toBeInstanceOf(RestoreRefusedError);
    expect(error.message).toMatch(
      /already has \d+ of the tables .* drop and recreate: .*public\.notes \(500 rows\)/,
    );
    expect(error.message).toContain("--force");
    expect(await rowsOf(source, "public.notes")).toEqual(before);
  });

  it("replaces a non-empty target with --force", async () => {
    await withTarget(async (target) => {
      await runRestore({ databaseUrl: target.url, location: loc });
      await target.sql(
        "delete from public.notes where id > 10; insert into billing.invoices (amount) values (1)",
      );
      const report = await runRestore({ databaseUrl: target.url, location: loc, force: true });
      expect(report.tables.every((t) => t.matches)).toBe(true);
      expect(await rowsOf(target, "public.notes")).toEqual(await rowsOf(source, "public.notes"));
      expect(await rowsOf(target, "billing.invoices")).toEqual(
        await rowsOf(source, "billing.invoices"),
      );
    });
  });

  it("restores selected tables: refused into non-empty ones without --force, replaced with it, others untouched", async () => {
    await withTarget(async (target) => {
      await runRestore({ databaseUrl: target.url, location: loc });
      await target.sql(
        "delete from public.notes where id % 2 = 0; delete from billing.invoices where id > 5",
      );
      const invoicesAfterDelete = await rowsOf(target, "billing.invoices");
      await expect(
        runRestore({ databaseUrl: target.url, location: loc, tables: ["notes"] }),
      ).rejects.toThrow(/empty and reload: public\.notes \(250 rows\)/);
      const report = await runRestore({
        databaseUrl: target.url,
        location: loc,
        tables: ["notes"],
        force: true,
      });
      expect(report.mode).toBe("tables");
      expect(report.tables).toEqual([
        expect.objectContaining({ table: "notes", rows: 500, restored: 500, matches: true }),
      ]);
      expect(await rowsOf(target, "public.notes")).toEqual(await rowsOf(source, "public.notes"));
      expect(await rowsOf(target, "billing.invoices")).toEqual(invoicesAfterDelete);
    });
  });

  it("creates a selected table that the target does not have", async () => {
    await withTarget(async (target) => {
      await target.sql("create schema billing");
      await runRestore({ databaseUrl: target.url, location: loc, tables: ["billing.invoices"] });
      expect(await userTables(target)).toEqual(["billing.invoices"]);
      expect(await rowsOf(target, "billing.invoices")).toEqual(
        await rowsOf(source, "billing.invoices"),
      );
    });
  });

  it("names a table that is not in the backup", async () => {
    await withTarget(async (target) => {
      await expect(
        runRestore({ databaseUrl: target.url, location: loc, tables: ["public.nope"] }),
      ).rejects.toThrow(/table public\.nope is not in backup .*choose from: /);
    });
  });
});

describe("the drill", () => {
  it("passes on a good backup, comparing every table with the manifest, and drops its scratch database", async () => {
    await putBytes(loc, dumpKey(), original);
    const report = await runDrill({
      scratchServerUrl: services().postgres.adminUrl,
      location: loc,
    });
    expect(report.findings).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report.restore!.tables.length).toBe(manifest.tables.length);
    const left = await source.sql<{ n: number }>(
      "select count(*)::int as n from pg_database where datname = $1",
      [report.scratchDatabase],
    );
    expect(left[0]!.n).toBe(0);
  });
});

it("parses its own manifest", () => {
  expect(parseManifest(JSON.stringify(manifest), "k")).toEqual(manifest);
});
