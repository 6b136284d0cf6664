import { BACKUP_JOB_TYPE } from "../contracts";
import { type RunbooksStackPolicy } from "../lib/policy";
import { RLS_TABLE_TYPE } from "../lib/types";
import { backupBuckets } from "../backup-bucket/buckets";

/**
 * A stack that manages a database (its RLS) or a backup bucket must also run
 * a backup job: a bucket nothing writes to, or RLS changes applied with no
 * backup before them, is the gap the runbook's incidents fall into.
 */
export const requireBackupJob: RunbooksStackPolicy = {
  name: "require-backup-job",
  description:
    "A stack that manages a database or a backup bucket declares at least one backup job.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Turn on runbooks:features.backups in the stack file (with backup.bucket created or existing, not skip) so the program declares a BackupJob for the stack's database; `npm run backup -- -s <stack>` takes the first backup by hand.",
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
