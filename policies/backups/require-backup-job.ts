import { BACKUP_JOB_TYPE } from "../contracts";
import { type RunbooksStackPolicy } from "../lib/policy";
import { RLS_TABLE_TYPE } from "../lib/types";
import { backupBuckets } from "../backup-bucket/buckets";

/**
 * A stack that manages a database (its RLS) or a backup bucket must also run
 * a backup job. Advisory until the `BackupJob` resource ships in every stack
 * that declares `features.backups`; then mandatory.
 */
export const requireBackupJob: RunbooksStackPolicy = {
  name: "require-backup-job",
  description:
    "A stack that manages a database or a backup bucket declares at least one backup job.",
  enforcementLevel: "advisory",
  severity: "high",
  remediationSteps:
    "Keep runbooks:features.backups on so the program declares a BackupJob for the stack's database (advisory until the backup area's BackupJob resource ships in every such stack; then mandatory).",
  tags: ["backups"],
  validateStack: ({ resources }, report) => {
    if (resources.some((r) => r.type === BACKUP_JOB_TYPE)) return;
    const database = resources.find((r) => r.type === RLS_TABLE_TYPE);
    const bucket = backupBuckets(resources)[0];
    const reason = database
      ? "manages a database's row-level security"
      : bucket
        ? "has a backup bucket"
        : undefined;
    if (reason === undefined) return;
    report(`the stack ${reason} but declares no backup job (${BACKUP_JOB_TYPE})`);
  },
};
