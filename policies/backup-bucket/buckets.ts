/** The buckets the backup rules apply to: S3 buckets tagged `purpose: backups`. */
import type { PolicyResource } from "@pulumi/policy";
import { tagOf } from "../lib/policy";
import { AWS, BACKUP_PURPOSE } from "../lib/types";

export function backupBuckets(resources: readonly PolicyResource[]): PolicyResource[] {
  return resources.filter(
    (r) =>
      (AWS.bucket as readonly string[]).includes(r.type) && tagOf(r, "purpose") === BACKUP_PURPOSE,
  );
}
