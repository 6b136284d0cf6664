/**
 * A failed or interrupted backup never replaces a good one: no new
 * latest.json, no manifest, no multipart upload left behind, and no
 * freshness metric — each failure mode asserted directly against MinIO and
 * moto's CloudWatch. A good backup's metric does arrive.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackup, type BackupOptions } from "../../../infra/backups/backup";
import { latestKey } from "../../../infra/backups/manifest";
import { readBackupMetric } from "../../../infra/backups/metric";
import { requirePgBinary } from "../../../infra/backups/pg-tools";
import { closePools } from "../../../infra/postgres/client";
import { REPO_ROOT } from "../../../infra/lib/paths";
import { startFaultProxy, type FaultProxy } from "../../support/fault-proxy";
import { services } from "../../support/services";
import {
  bucket,
  database,
  getText,
  listKeys,
  location,
  metricCount,
  metricTarget,
  multipartUploads,
  seeded,
  type Db,
} from "./helpers";

let source: Db;
let big: Db;
let proxy: FaultProxy;
const BUCKET = "failures";

beforeAll(async () => {
  await bucket(BUCKET);
  source = await seeded("bkfail");
  big = await database("bkbig");
  // ~24 MB of incompressible bytes: several 5 MiB parts.
  await big.sql(
    "create table blobs as select g as id, decode(string_agg(md5(g::text || '-' || i::text || random()::text), ''), 'hex') as b from generate_series(1, 3000) g, generate_series(1, 500) i group by g",
  );
  proxy = await startFaultProxy(services().s3.endpoint);
});

afterAll(async () => {
  await proxy?.stop();
  await source?.drop();
  await big?.drop();
  await closePools();
});

/** A location whose S3 traffic goes through the fault proxy. */
function proxied(stack: string) {
  return location(BUCKET, { endpoint: proxy.endpoint, prefix: `${stack}/` });
}

/**
 * A stack whose first backup succeeded, with its latest.json and metric count: what a failure
 * that follows must leave as they were.
 */
async function afterAGoodBackup(name: string, db: Db, extra: Partial<BackupOptions> = {}) {
  const stack = `${name}-${Date.now()}`;
  const options: BackupOptions = {
    databaseUrl: db.url,
    location: proxied(stack),
    metric: metricTarget(stack),
    stack,
    ...extra,
  };
  const previous = await goodBackup(options);
  return { stack, options, previous, before: await metricCount(stack) };
}

/** A good backup first, so "the previous latest is untouched" means something. */
async function goodBackup(options: BackupOptions) {
  proxy.setRule(() => ({ action: "pass" }));
  const report = await runBackup(options);
  return { report, latest: await getText(options.location, latestKey(options.location.prefix)) };
}

async function assertNothingNew(
  options: BackupOptions,
  previous: { latest: string },
  stack: string,
  metricsBefore: number,
) {
  const keys = await listKeys(options.location);
  expect(keys.filter((k) => k.endsWith("/manifest.json"))).toHaveLength(1);
  expect(await getText(options.location, latestKey(options.location.prefix))).toBe(previous.latest);
  expect(await multipartUploads(options.location)).toEqual([]);
  expect(await metricCount(stack)).toBe(metricsBefore);
}

describe("the freshness metric", () => {
  it("arrives in CloudWatch after a verified backup, with the backup's time as its value", async () => {
    const stack = `ok-${Date.now()}`;
    const report = await runBackup({
      databaseUrl: source.url,
      location: proxied(stack),
      metric: metricTarget(stack),
      stack,
    });
    expect(report.metric).toBe("published");
    const points = await readBackupMetric(
      metricTarget(stack),
      new Date(Date.now() - 3_600_000),
      new Date(Date.now() + 60_000),
    );
    expect(points.reduce((n, p) => n + p.count, 0)).toBe(1);
    expect(points[0]!.latest).toBe(
      Math.floor(new Date(report.manifest.finishedAt).getTime() / 1000),
    );
  });
});

describe("confirming what S3 stored", () => {
  const dumpHead = (r: { method: string; path: string }) =>
    r.method === "HEAD" && r.path.endsWith(".dump");

  it("compares S3's checksum of every object with the bytes sent, and downloads none of them", async () => {
    const stack = `confirm-${Date.now()}`;
    proxy.setRule(() => ({ action: "pass" }));
    const seenBefore = proxy.seen.length;
    const report = await runBackup({
      databaseUrl: big.url,
      location: proxied(stack),
      stack,
      partSizeBytes: 5 * 1024 * 1024,
      jobs: 2,
    });
    expect(report.verifiedBy).toBe("stored checksum");
    const seen = proxy.seen.slice(seenBefore);
    expect(seen.filter(dumpHead)).toHaveLength(report.manifest.objects.length);
    expect(seen.filter((r) => r.method === "GET" && r.path.endsWith(".dump"))).toEqual([]);
  });

  it("reads an object back when the server reports no checksum for it", async () => {
    const stack = `readback-${Date.now()}`;
    proxy.setRule((r) =>
      dumpHead(r)
        ? { action: "pass", responseHeaders: { "x-amz-checksum-crc32": undefined } }
        : { action: "pass" },
    );
    const seenBefore = proxy.seen.length;
    try {
      const report = await runBackup({ databaseUrl: source.url, location: proxied(stack), stack });
      expect(report.verifiedBy).toBe("read back");
      expect(
        proxy.seen.slice(seenBefore).filter((r) => r.method === "GET" && r.path.endsWith(".dump")),
      ).toHaveLength(1);
    } finally {
      proxy.setRule(() => ({ action: "pass" }));
    }
  });

  it("refuses a backup whose stored checksum differs from the bytes sent: no manifest, latest or metric", async () => {
    const { stack, options, previous, before } = await afterAGoodBackup("mismatch", big, {
      partSizeBytes: 5 * 1024 * 1024,
    });
    proxy.setRule((r) =>
      dumpHead(r)
        ? { action: "pass", responseHeaders: { "x-amz-checksum-crc32": "AAAAAA==-5" } }
        : { action: "pass" },
    );
    try {
      await expect(runBackup(options)).rejects.toThrow(
        /db\.dump is stored as \d+ bytes with CRC32 AAAAAA==-5, but the backup sent \d+ bytes .*latest\.json is unchanged/,
      );
    } finally {
      proxy.setRule(() => ({ action: "pass" }));
    }
    await assertNothingNew(options, previous, stack, before);
  });
});

describe("a failure publishes nothing and leaves the previous latest", () => {
  it("an upload that fails part-way (HTTP 500 on every part after the first)", async () => {
    const { stack, options, previous, before } = await afterAGoodBackup("upload", big, {
      partSizeBytes: 5 * 1024 * 1024,
    });
    let parts = 0;
    proxy.setRule((r) =>
      r.method === "PUT" && r.query.has("partNumber") && ++parts > 1
        ? { action: "fail", status: 500, code: "InternalError" }
        : { action: "pass" },
    );
    await expect(runBackup(options)).rejects.toThrow(/upload .*db\.dump/);
    proxy.setRule(() => ({ action: "pass" }));
    await assertNothingNew(options, previous, stack, before);
  });

  it("a part upload that hangs: timed out, retried, then aborted, instead of waiting forever", async () => {
    const { stack, options, previous, before } = await afterAGoodBackup("hang", big, {
      partSizeBytes: 5 * 1024 * 1024,
      s3Timeouts: { connectMs: 2_000, idleMs: 1_000 },
    });
    // Every part stalls for longer than the idle timeout; nothing else does.
    proxy.setRule((r) =>
      r.method === "PUT" && r.query.has("partNumber")
        ? { action: "pass", delayMs: 60_000 }
        : { action: "pass" },
    );
    const started = Date.now();
    try {
      await expect(runBackup(options)).rejects.toThrow(
        /upload .*db\.dump .*S3 stopped answering .*Fix: check the network path/,
      );
    } finally {
      proxy.setRule(() => ({ action: "pass" }));
    }
    // Each part in flight gives up after three attempts of about a second, not the minute the
    // server would have taken.
    expect(Date.now() - started).toBeLessThan(20_000);
    await assertNothingNew(options, previous, stack, before);
  });

  it("a dump that exits non-zero after writing a complete archive (the body ends only on exit 0)", async () => {
    const { stack, options, previous, before } = await afterAGoodBackup("dump", source);
    const real = requirePgBinary("pg_dump");
    const dir = mkdtempSync(join(tmpdir(), "fake-pg-bin-"));
    try {
      writeFileSync(
        join(dir, "pg_dump"),
        `#!/bin/sh\n"${real.path}" "$@"\ncode=$?\n[ "$1" = "--version" ] && exit $code\necho "pg_dump: error: injected failure" >&2\nexit 1\n`,
      );
      chmodSync(join(dir, "pg_dump"), 0o755);
      await expect(runBackup({ ...options, env: { ...process.env, PG_BIN: dir } })).rejects.toThrow(
        /pg_dump exited with code 1: pg_dump: error: injected failure/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await assertNothingNew(options, previous, stack, before);
  });

  it("a manifest that cannot be written", async () => {
    const { stack, options, previous, before } = await afterAGoodBackup("manifest", source);
    proxy.setRule((r) =>
      r.method === "PUT" && r.path.endsWith("/manifest.json")
        ? { action: "fail", status: 503, code: "SlowDown" }
        : { action: "pass" },
    );
    await expect(runBackup(options)).rejects.toThrow(/write .*manifest\.json/);
    proxy.setRule(() => ({ action: "pass" }));
    await assertNothingNew(options, previous, stack, before);
  });

  it("a process killed mid-upload: no latest, and the next run aborts its orphaned upload", async () => {
    const { stack, options, previous, before } = await afterAGoodBackup("killed", big, {
      partSizeBytes: 5 * 1024 * 1024,
    });
    // Slow parts down so the kill lands mid-upload.
    proxy.setRule((r) =>
      r.method === "PUT" && r.query.has("partNumber")
        ? { action: "pass", delayMs: 400 }
        : { action: "pass" },
    );
    const seenBefore = proxy.seen.length;
    const child = spawn(
      process.execPath,
      [
        join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs"),
        join(__dirname, "fixtures", "run-backup.ts"),
      ],
      {
        env: { ...process.env, RUNBOOKS_TEST_BACKUP: JSON.stringify(options) },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const killed = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once("exit", (_c, s) => resolve(s)),
    );
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("the backup never started uploading parts")),
        60_000,
      );
      const poll = setInterval(() => {
        if (
          proxy.seen
            .slice(seenBefore)
            .some(
              (r) =>
                r.method === "PUT" &&
                r.query.get("partNumber") === "1" &&
                r.path.includes(`/${stack}/`),
            )
        ) {
          clearInterval(poll);
          clearTimeout(timer);
          resolve();
        }
      }, 20);
    });
    child.kill("SIGKILL");
    expect(await killed).toBe("SIGKILL");
    proxy.setRule(() => ({ action: "pass" }));
    expect(await multipartUploads(options.location)).toHaveLength(1);
    expect(await getText(options.location, latestKey(options.location.prefix))).toBe(
      previous.latest,
    );
    expect(await metricCount(stack)).toBe(before);
    // The next run sees the dead run's lease go stale and aborts its upload.
    const next = await runBackup({ ...options, lease: { heartbeatMs: 1000, staleMs: 0 } });
    expect(next.abortedOrphans).toHaveLength(1);
    expect(await multipartUploads(options.location)).toEqual([]);
  });
});
