/**
 * Every backup under a prefix, from a complete listing: ListObjectsV2 is
 * followed page by page (1,000 keys each) to the end, and any error fails the
 * whole listing — a caller deciding what to delete must never act on part of
 * the truth. "Latest" is never derived from here: it is latest.json.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { backupsPrefix, idOfKey, parseManifest, timeOfId, type BackupManifest } from "./manifest";
import { explainS3Error, type S3Location } from "./s3";

/** One backup folder as the listing saw it. */
export interface ListedBackup {
  id: string;
  startedAt: Date;
  /** Every key of the folder (dumps, manifest, lease). */
  keys: string[];
  /** Bytes stored in the folder. */
  size: number;
  /** A manifest exists: the backup completed. Without one it is a failed or running attempt. */
  complete: boolean;
}

export class IncompleteListingError extends Error {
  constructor(page: number, cause: string) {
    super(
      `listing the backups failed on page ${page} (${cause}); nothing was deleted, because a partial listing could make the newest backup look absent`,
    );
    this.name = "IncompleteListingError";
  }
}

export async function listBackups(s3: S3Client, location: S3Location): Promise<ListedBackup[]> {
  const byId = new Map<string, ListedBackup>();
  let token: string | undefined;
  let page = 0;
  do {
    page++;
    let out;
    try {
      out = await s3.send(
        new ListObjectsV2Command({
          Bucket: location.bucket,
          Prefix: backupsPrefix(location.prefix),
          ContinuationToken: token,
        }),
      );
    } catch (error) {
      if (page === 1) throw explainS3Error(error, "list the backups", location);
      throw new IncompleteListingError(page, (error as Error).name ?? String(error));
    }
    if (out.IsTruncated && !out.NextContinuationToken)
      throw new IncompleteListingError(
        page,
        "the server said there is more but gave no continuation token",
      );
    for (const object of out.Contents ?? []) {
      const id = idOfKey(location.prefix, object.Key ?? "");
      if (!id) continue;
      let entry = byId.get(id);
      if (!entry) {
        entry = { id, startedAt: timeOfId(id), keys: [], size: 0, complete: false };
        byId.set(id, entry);
      }
      entry.keys.push(object.Key!);
      entry.size += object.Size ?? 0;
      if (object.Key!.endsWith("/manifest.json")) entry.complete = true;
    }
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return [...byId.values()].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

export async function readManifest(
  s3: S3Client,
  location: S3Location,
  key: string,
): Promise<BackupManifest> {
  let text: string;
  try {
    const got = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }));
    text = await got.Body!.transformToString();
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchKey")
      throw new Error(
        `no manifest at s3://${location.bucket}/${key}: that backup does not exist or never completed`,
      );
    throw explainS3Error(error, `read ${key}`, location);
  }
  return parseManifest(text, key);
}
