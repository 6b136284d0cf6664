/**
 * Apply retention: list everything (fail closed), plan (retention.ts), then
 * delete the planned folders — except objects Object Lock still protects.
 *
 * Object Lock is respected, not fought: a locked object (retention date in
 * the future, or a legal hold) is reported as kept and never deleted with a
 * governance bypass. In a versioned bucket a delete adds a delete marker and
 * the lifecycle rule expires the old version later; nothing here deletes
 * versions. With `dryRun`, nothing is deleted and the same report is returned.
 */
import {
  DeleteObjectsCommand,
  GetObjectLegalHoldCommand,
  GetObjectRetentionCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { DEFAULT_LEASE, abortOrphanedUploads, type LeaseTiming } from "./lease";
import { listBackups, type ListedBackup } from "./listing";
import { latestKey, latestSchema } from "./manifest";
import { planRetention, type RetentionDecision, type RetentionPolicy } from "./retention";
import { explainS3Error, withS3, type S3Location } from "./s3";

export interface PruneOptions {
  location: S3Location;
  policy: RetentionPolicy;
  dryRun: boolean;
  clock?: () => Date;
  lease?: LeaseTiming;
}

export interface PruneReport {
  dryRun: boolean;
  listed: number;
  decisions: (RetentionDecision & { size: number; complete: boolean })[];
  /** Keys deleted (or, in a dry run, that would be). */
  deleted: string[];
  /** Keys kept because Object Lock protects them, with the reason. */
  locked: { key: string; until?: string; legalHold: boolean }[];
  /** Multipart uploads of dead runs aborted on the way. */
  abortedOrphans: string[];
}

async function lockOf(
  s3: S3Client,
  location: S3Location,
  key: string,
  now: Date,
): Promise<{ until?: string; legalHold: boolean } | undefined> {
  const ignore = (e: unknown) => {
    const name = (e as { name?: string }).name ?? "";
    // No lock configuration on the bucket or object: not locked.
    if (/ObjectLockConfigurationNotFound|NoSuchObjectLockConfiguration|InvalidRequest/.test(name))
      return undefined;
    throw e;
  };
  const retention = await s3
    .send(new GetObjectRetentionCommand({ Bucket: location.bucket, Key: key }))
    .catch(ignore);
  const hold = await s3
    .send(new GetObjectLegalHoldCommand({ Bucket: location.bucket, Key: key }))
    .catch(ignore);
  const until = retention?.Retention?.RetainUntilDate;
  const legalHold = hold?.LegalHold?.Status === "ON";
  const retained = until !== undefined && until.getTime() > now.getTime();
  return retained || legalHold ? { until: until?.toISOString(), legalHold } : undefined;
}

async function latestId(s3: S3Client, location: S3Location): Promise<string | undefined> {
  const { GetObjectCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  try {
    const got = await s3.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: latestKey(location.prefix) }),
    );
    return latestSchema.parse(JSON.parse(await got.Body!.transformToString())).id;
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchKey") return undefined;
    throw explainS3Error(error, "read latest.json before pruning", location);
  }
}

export async function pruneBackups(options: PruneOptions): Promise<PruneReport> {
  const now = (options.clock ?? (() => new Date()))();
  const { location } = options;
  return withS3(location, async (s3) => {
    const backups: ListedBackup[] = await listBackups(s3, location);
    const decisions = planRetention(backups, options.policy, {
      now,
      latestId: await latestId(s3, location),
    });
    const byId = new Map(backups.map((b) => [b.id, b]));
    const report: PruneReport = {
      dryRun: options.dryRun,
      listed: backups.length,
      decisions: [],
      deleted: [],
      locked: [],
      abortedOrphans: options.dryRun
        ? []
        : await abortOrphanedUploads(s3, location, { timing: options.lease ?? DEFAULT_LEASE, now }),
    };
    const doomed: string[] = [];
    for (const d of decisions.filter((x) => x.action === "delete")) {
      // The manifest goes last: a folder whose dumps are gone but manifest stays would look restorable.
      const keys = [...byId.get(d.id)!.keys].sort((a, b) =>
        a.endsWith("/manifest.json") ? 1 : b.endsWith("/manifest.json") ? -1 : a.localeCompare(b),
      );
      const locked = [];
      for (const key of keys) {
        const lock = await lockOf(s3, location, key, now).catch((e) => {
          throw explainS3Error(e, `read the Object Lock state of ${key}`, location);
        });
        if (lock) locked.push({ key, ...lock });
      }
      if (locked.length > 0) {
        // Part of a backup is worse than all of it: a partly locked folder is kept whole.
        report.locked.push(...locked);
        d.action = "keep";
        d.reasons = ["Object Lock protects part of it (it expires on its own when the lock ends)"];
        continue;
      }
      doomed.push(...keys);
    }
    report.decisions = decisions.map((d) => ({
      ...d,
      size: byId.get(d.id)!.size,
      complete: byId.get(d.id)!.complete,
    }));
    if (!options.dryRun) {
      for (let i = 0; i < doomed.length; i += 1000) {
        const batch = doomed.slice(i, i + 1000);
        let out;
        try {
          out = await s3.send(
            new DeleteObjectsCommand({
              Bucket: location.bucket,
              Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
            }),
          );
        } catch (error) {
          throw explainS3Error(error, "delete expired backups", location);
        }
        const failed = new Set((out.Errors ?? []).map((e) => e.Key));
        report.deleted.push(...batch.filter((k) => !failed.has(k)));
        if (failed.size > 0)
          throw new Error(
            `deleted ${report.deleted.length} objects, but ${failed.size} could not be deleted (${(
              out.Errors ?? []
            )
              .slice(0, 3)
              .map((e) => `${e.Key}: ${e.Code}`)
              .join("; ")}); re-run prune once fixed`,
          );
      }
    } else {
      report.deleted.push(...doomed);
    }
    return report;
  });
}
