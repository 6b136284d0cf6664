/**
 * Retention against MinIO: more than 1,000 objects (listing pages of 1,000),
 * a fixed clock, a listing that fails on page 2 (fail closed: nothing
 * deleted), --dry-run, and Object Lock respected on a bucket created with it.
 */
import { PutObjectCommand, PutObjectRetentionCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupId, latestKey, manifestKey } from "../../../infra/backups/manifest";
import { pruneBackups } from "../../../infra/backups/prune";
import { startFaultProxy, type FaultProxy } from "../../support/fault-proxy";
import { services } from "../../support/services";
import { bucket, listKeys, location, s3 } from "./helpers";

const NOW = new Date("2026-06-30T12:00:00Z");
const POLICY = { daily: 7, weekly: 4, monthly: 6, incompleteGraceHours: 24 };
let proxy: FaultProxy;

/** `count` complete backups, one every 3 hours back from NOW, each a manifest and a dump. */
async function seed(loc: ReturnType<typeof location>, count: number): Promise<string[]> {
  const client = s3();
  const ids: string[] = [];
  try {
    for (let i = 0; i < count; i += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, count - i) }, async (_, j) => {
          const n = i + j;
          const id = backupId(
            new Date(NOW.getTime() - (n + 1) * 3 * 3_600_000),
            n.toString(16).padStart(6, "0"),
          );
          ids[n] = id;
          await client.send(
            new PutObjectCommand({
              Bucket: loc.bucket,
              Key: manifestKey(loc.prefix, id),
              Body: "{}",
            }),
          );
          await client.send(
            new PutObjectCommand({
              Bucket: loc.bucket,
              Key: manifestKey(loc.prefix, id).replace("manifest.json", "db.dump"),
              Body: "x",
            }),
          );
        }),
      );
    }
    await client.send(
      new PutObjectCommand({
        Bucket: loc.bucket,
        Key: latestKey(loc.prefix),
        Body: JSON.stringify({
          format: "runbooks-latest/1",
          id: ids[0],
          manifestKey: manifestKey(loc.prefix, ids[0]!),
          finishedAt: NOW.toISOString(),
          sha256: "0".repeat(64),
          size: 1,
        }),
      }),
    );
  } finally {
    client.destroy();
  }
  return ids;
}

beforeAll(async () => {
  await bucket("retention");
  await bucket("retention-locked", { objectLock: true });
  proxy = await startFaultProxy(services().s3.endpoint);
});

afterAll(async () => {
  await proxy?.stop();
});

describe("prune over more than 1,000 objects", () => {
  const loc = location("retention");
  let ids: string[];
  let before: string[];

  beforeAll(async () => {
    ids = await seed(loc, 520);
    before = await listKeys(loc);
    expect(before.length).toBe(520 * 2 + 1);
  }, 120_000);

  it("deletes nothing when the listing fails on page 2", async () => {
    // Every request for page 2 fails, retries included (the SDK retries a 500).
    let pages = 0;
    proxy.setRule((r) => {
      if (r.method !== "GET" || r.query.get("list-type") !== "2") return { action: "pass" };
      pages++;
      return r.query.has("continuation-token")
        ? { action: "fail", status: 500, code: "InternalError" }
        : { action: "pass" };
    });
    await expect(
      pruneBackups({
        location: { ...loc, endpoint: proxy.endpoint },
        policy: POLICY,
        dryRun: false,
        clock: () => NOW,
      }),
    ).rejects.toThrow(/listing the backups failed on page 2 .*nothing was deleted/);
    proxy.setRule(() => ({ action: "pass" }));
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(await listKeys(loc)).toEqual(before);
  });

  it("--dry-run reports the plan over every page and deletes nothing", async () => {
    const report = await pruneBackups({
      location: loc,
      policy: POLICY,
      dryRun: true,
      clock: () => NOW,
    });
    expect(report.listed).toBe(520);
    const kept = report.decisions.filter((d) => d.action === "keep").map((d) => d.id);
    // 520 backups × 3 h = 65 days: 7 days + weeks and months not already covered.
    expect(kept[0]).toBe(ids[0]);
    expect(kept.length).toBeGreaterThan(7);
    expect(kept.length).toBeLessThan(7 + 4 + 6 + 1);
    expect(report.deleted.length).toBe((520 - kept.length) * 2);
    expect(await listKeys(loc)).toEqual(before);
  });

  it("deletes exactly the plan, keeping the newest backup and latest.json", async () => {
    const dry = await pruneBackups({
      location: loc,
      policy: POLICY,
      dryRun: true,
      clock: () => NOW,
    });
    const report = await pruneBackups({
      location: loc,
      policy: POLICY,
      dryRun: false,
      clock: () => NOW,
    });
    expect(report.deleted.sort()).toEqual(dry.deleted.sort());
    const after = await listKeys(loc);
    expect(after).toContain(latestKey(loc.prefix));
    expect(after).toContain(manifestKey(loc.prefix, ids[0]!));
    expect(after.length).toBe(before.length - report.deleted.length);
  });
});

describe("Object Lock", () => {
  it("keeps a locked backup that retention would delete, and says so", async () => {
    const loc = location("retention-locked");
    const ids = await seed(loc, 40);
    const oldest = ids[39]!;
    const client = s3();
    try {
      await client.send(
        new PutObjectRetentionCommand({
          Bucket: loc.bucket,
          Key: manifestKey(loc.prefix, oldest),
          Retention: { Mode: "GOVERNANCE", RetainUntilDate: new Date(Date.now() + 86_400_000) },
        }),
      );
    } finally {
      client.destroy();
    }
    const report = await pruneBackups({
      location: loc,
      policy: { ...POLICY, weekly: 0, monthly: 0 },
      dryRun: false,
      clock: () => NOW,
    });
    expect(report.locked).toEqual([
      expect.objectContaining({ key: manifestKey(loc.prefix, oldest), legalHold: false }),
    ]);
    expect(report.decisions.find((d) => d.id === oldest)).toMatchObject({ action: "keep" });
    const after = await listKeys(loc);
    expect(after).toContain(manifestKey(loc.prefix, oldest));
    // Its dump is kept too: a locked backup is kept whole.
    expect(after).toContain(manifestKey(loc.prefix, oldest).replace("manifest.json", "db.dump"));
    expect(report.deleted.length).toBeGreaterThan(0);
  });
});
