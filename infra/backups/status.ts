/**
 * "Is there a recent, good backup?": the age of the backup latest.json points
 * to, against the stack's `maxAgeHours`, and the list of backups. Both
 * return the one finding shape; `backup:status` exits 1 on a finding above info.
 */
import type { Finding } from "../lib/findings";
import { listBackups, readManifest, type ListedBackup } from "./listing";
import { latestKey, latestSchema, type LatestPointer } from "./manifest";
import { describeLocation, explainS3Error, withS3, type S3Location } from "./s3";

export interface StatusReport {
  location: string;
  latest?: LatestPointer & { ageHours: number; tables: number; objects: number };
  maxAgeHours: number;
  findings: Finding[];
}

export async function readLatestPointer(location: S3Location): Promise<LatestPointer | undefined> {
  const { GetObjectCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  return withS3(location, async (s3) => {
    try {
      const got = await s3.send(
        new GetObjectCommand({ Bucket: location.bucket, Key: latestKey(location.prefix) }),
      );
      return latestSchema.parse(JSON.parse(await got.Body!.transformToString()));
    } catch (error) {
      if ((error as { name?: string }).name === "NoSuchKey") return undefined;
      throw explainS3Error(error, "read latest.json", location);
    }
  });
}

export async function backupStatus(options: {
  location: S3Location;
  maxAgeHours: number;
  clock?: () => Date;
}): Promise<StatusReport> {
  const now = (options.clock ?? (() => new Date()))();
  const where = describeLocation(options.location);
  const pointer = await readLatestPointer(options.location);
  if (!pointer)
    return {
      location: where,
      maxAgeHours: options.maxAgeHours,
      findings: [
        {
          id: "require-recent-backup",
          severity: "critical",
          subject: where,
          message: "there is no backup: latest.json does not exist",
          fix: "take one now with 'npm run backup', and check the scheduled backup workflow's runs",
        },
      ],
    };
  const manifest = await withS3(options.location, (s3) =>
    readManifest(s3, options.location, pointer.manifestKey),
  );
  const ageHours = (now.getTime() - new Date(pointer.finishedAt).getTime()) / 3_600_000;
  const latest = {
    ...pointer,
    ageHours: Number(ageHours.toFixed(2)),
    tables: manifest.tables.length,
    objects: manifest.objects.length,
  };
  const stale = ageHours > options.maxAgeHours;
  return {
    location: where,
    latest,
    maxAgeHours: options.maxAgeHours,
    findings: [
      stale
        ? {
            id: "require-recent-backup",
            severity: "high",
            subject: where,
            message: `the latest backup (${pointer.id}) is ${ageHours.toFixed(1)} hours old, older than maxAgeHours ${options.maxAgeHours}`,
            fix: "take one now with 'npm run backup', then find out why the scheduled backup stopped (its workflow runs)",
          }
        : {
            id: "require-recent-backup",
            severity: "info",
            subject: where,
            message: `the latest backup (${pointer.id}) is ${ageHours.toFixed(1)} hours old (limit ${options.maxAgeHours})`,
            fix: "nothing to do",
          },
    ],
  };
}

export interface ListReport {
  location: string;
  latestId?: string;
  backups: (Omit<ListedBackup, "keys" | "startedAt"> & { startedAt: string; latest: boolean })[];
}

export async function backupList(options: { location: S3Location }): Promise<ListReport> {
  const pointer = await readLatestPointer(options.location);
  const listed = await withS3(options.location, (s3) => listBackups(s3, options.location));
  return {
    location: describeLocation(options.location),
    latestId: pointer?.id,
    backups: listed.map((b) => ({
      id: b.id,
      startedAt: b.startedAt.toISOString(),
      size: b.size,
      complete: b.complete,
      latest: b.id === pointer?.id,
    })),
  };
}
