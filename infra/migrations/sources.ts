/**
 * What db:deploy needs from areas that live elsewhere: a pre-change backup.
 * The backups area provides it; until it is part of this checkout (or when
 * the stack turns `features.backups` off) there is none, and db:deploy says
 * so and stops unless told to migrate without one. Never a silent skip.
 */
import type { StackFileConfig } from "../config/stack-file";
import type { Progress } from "../lib/progress";

export interface PreChangeBackupResult {
  /** Where the backup is, in words a human can find it by (an S3 key, a file). */
  location: string;
  /** The command that restores it over the database, printed if the migration fails. */
  restoreCommand: string;
  sizeBytes?: number;
}

export interface PreChangeBackup {
  /** Take a full backup of the database now; rejects (with a clear message) when it cannot. */
  take(input: {
    connectionString: string;
    /** Recorded with the backup: why it was taken. */
    reason: string;
    progress: Progress;
  }): Promise<PreChangeBackupResult>;
}

export interface DeploySources {
  backup?: PreChangeBackup;
}

/** Why a source is missing, for the message that stops the deploy. */
export function missingBackupReason(stack: StackFileConfig | undefined): string {
  if (stack && !stack.config.features.backups)
    return `backups are turned off for stack ${stack.context.stack} (runbooks:features.backups)`;
  return "the backups area is not available in this checkout";
}

/**
 * The sources this checkout provides for a stack. The backups area plugs in
 * here (`backup: …` when `features.backups` is on); nothing else should.
 */
export function deploySourcesFor(_stack: StackFileConfig | undefined): DeploySources {
  return {};
}
