/**
 * The backups area's answer to `incident`'s "latest backup": what latest.json
 * points to, read the way `backup:status` reads it. Settings are resolved
 * when the step runs, not before, so a stack whose bucket is only a stack
 * output (set RUNBOOKS_BACKUP_BUCKET) fails that one step with its fix, and
 * every other step still runs.
 */
import type { BackupAgeSource } from "../incident/sources";
import { describeLocation } from "./s3";
import { resolveBackupSettings } from "./settings";
import { readLatestPointer } from "./status";

export function backupAgeFrom(
  stack: string,
  env: NodeJS.ProcessEnv,
  root: string,
): BackupAgeSource {
  return {
    async latest() {
      const { location } = resolveBackupSettings({ stack }, env, root);
      const pointer = await readLatestPointer(location);
      return pointer
        ? {
            takenAt: pointer.finishedAt,
            location: `${describeLocation(location)}${pointer.id}`,
            sizeBytes: pointer.size,
          }
        : undefined;
    },
  };
}
