/**
 * The BackupJob through the real engine, in the `local` stack: `up` takes and
 * verifies a first backup that `backup:status` lists; an RLS change in a
 * later `up` is preceded by a fresh backup (the trigger, and RLS waiting for
 * the job); refresh reads the latest backup back; the stored state holds the
 * credentials only as ciphertext and the serialized provider none at all;
 * destroy keeps every backup.
 */
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { statusCommand, listCommand } from "../../infra/backups/commands";
import { listBackups } from "../../infra/backups/listing";
import { withS3, type S3Location } from "../../infra/backups/s3";
import { LOCAL_BUCKET } from "../../infra/local/services";
import {
  RLS_TABLE_TYPE,
  SECRET_SIG,
  createE2eStack,
  credentialUrls,
  leakedSecrets,
  type E2eStack,
} from "../support/engine";
import { services } from "../support/services";

const STEP = { timeout: 300_000 };
const BACKUP_JOB_TYPE = "pulumi-nodejs:dynamic/runbooks-backups:BackupJob";

let e: E2eStack;
let location: S3Location;

async function manifests(): Promise<string[]> {
  const listed = await withS3(location, (s3) => listBackups(s3, location));
  return listed.filter((b) => b.complete).map((b) => b.id);
}

function settings() {
  return {
    stack: "local",
    location,
    maxAgeHours: 26,
    retention: { daily: 7, weekly: 4, monthly: 3, incompleteGraceHours: 24 },
    jobs: 1,
    lockWaitTimeoutSeconds: 30,
    exactCountMaxRows: 1_000_000,
  };
}

/** Steps in the order the engine finished them: `op type name`. */
function finished(events: EngineEvent[]): string[] {
  return events
    .filter((ev) => ev.resOutputsEvent)
    .map((ev) => {
      const m = ev.resOutputsEvent!.metadata;
      return `${m.op} ${m.type} ${m.urn.split("::").pop()}`;
    });
}

function started(events: EngineEvent[]): string[] {
  return events
    .filter((ev) => ev.resourcePreEvent)
    .map((ev) => {
      const m = ev.resourcePreEvent!.metadata;
      return `${m.op} ${m.type} ${m.urn.split("::").pop()}`;
    });
}

beforeAll(async () => {
  e = await createE2eStack("backups");
  const prefix = (await e.stack.getConfig("backup.prefix", true)).value;
  const s3 = services().s3;
  location = {
    bucket: LOCAL_BUCKET,
    prefix,
    region: s3.region,
    endpoint: s3.endpoint,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  };
}, 300_000);

afterAll(async () => {
  await e?.dispose();
});

describe("the local stack's BackupJob through the engine", () => {
  it(
    "up takes and verifies a first backup, before any RLS apply, and backup:status lists it",
    STEP,
    async () => {
      const result = await e.up();
      expect(result.summary.result).toBe("succeeded");
      const events = e.lastEvents();
      const jobDone = finished(events).findIndex((s) => s.includes(BACKUP_JOB_TYPE));
      const firstRls = started(events).findIndex((s) => s.includes(RLS_TABLE_TYPE));
      expect(finished(events)[jobDone]).toMatch(/^create /);
      // The job finished before the engine started any RLS table.
      const jobFinishedAt = events.indexOf(
        events.filter((ev) => ev.resOutputsEvent?.metadata.type === BACKUP_JOB_TYPE)[0]!,
      );
      const rlsStartedAt = events.indexOf(
        events.filter((ev) => ev.resourcePreEvent?.metadata.type === RLS_TABLE_TYPE)[0]!,
      );
      expect(firstRls).toBeGreaterThanOrEqual(0);
      expect(jobFinishedAt).toBeLessThan(rlsStartedAt);

      const latest = result.outputs.backups?.value.latest as {
        id: string;
        key: string;
        sha256: string;
      };
      expect(latest.key).toBe(`${location.prefix}backups/${latest.id}/manifest.json`);
      expect(await manifests()).toEqual([latest.id]);
      const status = await statusCommand(settings());
      expect(status.exitCode).toBe(0);
      expect(status.report?.latest?.id).toBe(latest.id);
      expect(status.report?.latest?.sha256).toBe(latest.sha256);
      const list = await listCommand(settings());
      expect(list.report?.backups).toEqual([
        expect.objectContaining({ id: latest.id, latest: true, complete: true }),
      ]);
    },
  );

  it("a second up changes nothing and takes no backup", STEP, async () => {
    const result = await e.up();
    expect(Object.keys(result.summary.resourceChanges ?? {})).toEqual(["same"]);
    expect(await manifests()).toHaveLength(1);
  });

  it("an RLS change in up is preceded by a fresh backup", STEP, async () => {
    await e.db.sql(`create table public.audit_notes (id bigint primary key, note text);
      alter table public.audit_notes owner to ${e.db.ownerRole};`);
    await e.stack.setConfig("rls", {
      value: JSON.stringify({ tables: [{ table: "audit_notes", publicRead: true }] }),
    });
    const before = await manifests();
    const result = await e.up();
    expect(result.summary.result).toBe("succeeded");
    const events = e.lastEvents();
    const jobUpdated = events.findIndex(
      (ev) =>
        ev.resOutputsEvent?.metadata.type === BACKUP_JOB_TYPE &&
        ev.resOutputsEvent.metadata.op === "update",
    );
    const rlsCreated = events.findIndex(
      (ev) =>
        ev.resourcePreEvent?.metadata.type === RLS_TABLE_TYPE &&
        ev.resourcePreEvent.metadata.op === "create",
    );
    expect(jobUpdated).toBeGreaterThanOrEqual(0);
    expect(rlsCreated).toBeGreaterThan(jobUpdated);
    const after = await manifests();
    expect(after).toHaveLength(before.length + 1);
    expect((result.outputs.backups?.value.latest as { id: string }).id).toBe(after[0]);
  });

  it("refresh reads the latest backup back and finds it fresh", STEP, async () => {
    const result = await e.refresh();
    expect(result.summary.result).toBe("succeeded");
    const { resources } = await e.storedExport();
    const job = resources.find((r) => r.type === BACKUP_JOB_TYPE)!;
    expect(job.outputs?.stale).toBe(false);
    expect((job.outputs?.latest as { id: string }).id).toBe((await manifests())[0]);
  });

  it(
    "a backup that fails (a lock held past the wait) fails the up but keeps the job's state, the latest backup and refresh",
    STEP,
    async () => {
      const latest = (await manifests())[0];
      await e.stack.setConfig("backup.lockWaitTimeoutSeconds", { value: "2" }, true);
      await e.stack.setConfig("rls", {
        value: JSON.stringify({
          tables: [
            {
              table: "audit_notes",
              policies: [
                { name: "notes_read", command: "SELECT", roles: ["service_role"], using: "true" },
              ],
            },
          ],
        }),
      });
      const holder = new Client({ connectionString: e.db.url });
      await holder.connect();
      let failed: string;
      try {
        await holder.query("begin; lock table public.audit_notes in access exclusive mode");
        failed = await e.up().then(
          () => "succeeded",
          (err: Error) => err.message,
        );
      } finally {
        await holder.query("rollback").catch(() => undefined);
        await holder.end();
      }
      expect(failed).not.toBe("succeeded");
      // The failed backup replaced nothing: latest.json and the job's stored
      // outputs (its loader included) are those of the last good backup.
      expect((await manifests())[0]).toBe(latest);
      const job = (await e.storedExport()).resources.find((r) => r.type === BACKUP_JOB_TYPE)!;
      expect(String(job.outputs?.__provider ?? "")).toContain("infra/lib/dynamic/boot.cjs");
      expect((job.outputs?.latest as { id: string }).id).toBe(latest);
      expect((await e.refresh()).summary.result).toBe("succeeded");
      // With the lock gone, the next up takes the backup and applies the change.
      expect((await e.up()).summary.result).toBe("succeeded");
      expect((await manifests())[0]).not.toBe(latest);
    },
  );

  it(
    "stores the credentials only as ciphertext, and the serialized provider carries none",
    STEP,
    async () => {
      const { text, resources } = await e.storedExport();
      expect(leakedSecrets(text, e.secretValues)).toEqual([]);
      expect(credentialUrls(text)).toEqual([]);
      const job = resources.find((r) => r.type === BACKUP_JOB_TYPE)!;
      for (const side of ["inputs", "outputs"] as const)
        for (const field of ["connection", "credentials"])
          expect(job[side]?.[field], `${side}.${field}`).toEqual({
            [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270",
            ciphertext: expect.stringMatching(/^v1:/),
          });
      const serialized = String(job.outputs?.__provider ?? "");
      expect(serialized).toContain('"runbooks:backups:BackupJob"');
      expect(serialized).toContain("infra/lib/dynamic/boot.cjs");
      expect(serialized.length).toBeLessThan(1_000);
      expect(serialized).not.toContain(services().s3.accessKeyId);
      expect(serialized).not.toMatch(/127\.0\.0\.1:\d+/);
      expect(leakedSecrets(e.captured(), e.secretValues)).toEqual([]);
    },
  );

  it("destroy keeps every backup", STEP, async () => {
    const before = await manifests();
    const result = await e.destroy();
    expect(result.summary.result).toBe("succeeded");
    expect(await manifests()).toEqual(before);
  });
});
