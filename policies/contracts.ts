/**
 * What the Backups and Rotation policies read from the dynamic resources of
 * those areas: the type tokens and the input names. The providers declare
 * these inputs (plain, non-secret values) so the pack can check them through
 * the analyzer and `policy:review` alike. A provider that renames an input
 * changes it here too, and the policy tests fail until both agree.
 */

/** `pulumi.dynamic.Resource` registers `pulumi-nodejs:dynamic/<module>:<type>`. */
export const BACKUP_JOB_TYPE = "pulumi-nodejs:dynamic/runbooks-backups:BackupJob";

/** Every resource of the rotation area is one managed secret. */
export const ROTATION_TYPE_PREFIX = "pulumi-nodejs:dynamic/runbooks-rotation:";

/** Inputs of a `BackupJob`. */
export interface BackupJobPolicyInputs {
  /** When the job runs: a 5-field cron expression in UTC (`17 3 * * *`). */
  schedule: string;
  /** Days every backup is kept at least (the retention the pruning honours). */
  retentionDays: number;
}

/** One place a rotated secret's current value is written to. */
export interface RotationSink {
  /** `vercel-env` (a Vercel project variable) or `github-secret` (an Actions secret). */
  kind: string;
  /** Where, for reports: `project/KEY (production, preview)`, `owner/repo:environment/NAME`. */
  target: string;
}

/** Inputs of a rotation resource (one managed secret). */
export interface RotatedSecretPolicyInputs {
  /** The credential's name (`rotation.credentials[].name`). */
  name: string;
  /**
   * The longest any value of this secret stays valid, in days: the rotation
   * interval plus the overlap during which the previous value still works.
   */
  maxAgeDays: number;
  /** Every sink the rotated value is written to. */
  sinks: RotationSink[];
}

export const BACKUP_JOB_INPUTS = {
  schedule: "schedule",
  retentionDays: "retentionDays",
} as const satisfies Record<keyof BackupJobPolicyInputs, string>;

export const ROTATED_SECRET_INPUTS = {
  name: "name",
  maxAgeDays: "maxAgeDays",
  sinks: "sinks",
} as const satisfies Record<keyof RotatedSecretPolicyInputs, string>;
