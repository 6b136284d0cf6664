/**
 * What the backup storage will look like, decided from config without Pulumi:
 * the checks the config schema cannot make on its own (they depend on other
 * areas or on AWS rules), and the bucket lifecycle rules.
 */
import {
  CONFIG_NAMESPACE,
  ConfigError,
  type BackupConfig,
  type ConfigContext,
  type GithubConfig,
} from "../config/index";

/**
 * Longest a backup job may hold its credentials: a large dump can outlast the 1-hour default.
 * Here, not in the role's component, so that planning loads no cloud SDK.
 */
export const BACKUP_SESSION_SECONDS = 4 * 3600;

/** Storage class dumps move to: restorable in milliseconds, unlike GLACIER/DEEP_ARCHIVE (hours). */
export const ARCHIVE_STORAGE_CLASS = "GLACIER_IR";

export interface LifecycleRule {
  id: string;
  status: "Enabled";
  filter: { prefix?: string };
  transitions?: { days: number; storageClass: string }[];
  expiration?: { days?: number; expiredObjectDeleteMarker?: boolean };
  noncurrentVersionExpiration?: { noncurrentDays: number };
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}

export interface BackupStoragePlan {
  mode: "create" | "existing";
  /** Bucket name when mode is `existing`. */
  existingBucketName?: string;
  prefix: string;
  lifecycleRules: LifecycleRule[];
  objectLock?: { mode: "GOVERNANCE" | "COMPLIANCE"; days: number };
  oidc: { owner: string; repository: string; branch: string; environment?: string };
}

/**
 * Decide the backup storage, or `undefined` when `backup.bucket.mode` is
 * `skip`. Throws a `ConfigError` naming each offending key.
 */
export function planBackupStorage(
  backup: BackupConfig,
  github: GithubConfig | undefined,
  context: ConfigContext,
): BackupStoragePlan | undefined {
  if (backup.bucket.mode === "skip") return undefined;
  const problems: ConfigError["problems"] = [];
  const key = (k: string) => `${CONFIG_NAMESPACE}:backup.${k}`;
  const edit = `edit '${CONFIG_NAMESPACE}:backup' in ${context.stackFile}`;

  if (backup.endpoint !== undefined) {
    problems.push({
      key: key("endpoint"),
      message:
        "a custom S3 endpoint is only for the local stack; AWS backup storage always uses AWS S3",
      fix: `${edit}: remove endpoint, or turn features.backupStorage off`,
    });
  }
  if (backup.prefix === "" || !backup.prefix.endsWith("/") || backup.prefix.startsWith("/")) {
    problems.push({
      key: key("prefix"),
      message: `must be a non-empty key prefix ending in '/' and not starting with '/' (got '${backup.prefix}'); the backup role is limited to exactly this prefix`,
      fix: `${edit}: e.g. prefix: postgres/${context.stack}/`,
    });
  }
  if (backup.objectLock && backup.bucket.mode === "existing") {
    problems.push({
      key: key("objectLock"),
      message:
        "Object Lock can only be switched on when this program creates the bucket; an existing bucket's settings are never changed",
      fix: `${edit}: remove objectLock, or set bucket.mode to create`,
    });
  }
  if (github === undefined) {
    problems.push({
      key: `${CONFIG_NAMESPACE}:github`,
      message:
        "backup storage trusts GitHub Actions through OIDC and needs the app repository's owner and name",
      fix: `set '${CONFIG_NAMESPACE}:github' in ${context.stackFile}, or set backup.bucket.mode to skip`,
    });
  } else if (
    backup.oidcEnvironment !== undefined &&
    !github.environments.some((e) => e.name === backup.oidcEnvironment)
  ) {
    problems.push({
      key: key("oidcEnvironment"),
      message: `environment '${backup.oidcEnvironment}' is not declared under github.environments (declared: ${github.environments.map((e) => e.name).join(", ") || "none"})`,
      fix: `${edit}, or add the environment to '${CONFIG_NAMESPACE}:github.environments'`,
    });
  }
  if (problems.length > 0) throw new ConfigError(context, problems);

  return {
    mode: backup.bucket.mode,
    existingBucketName: backup.bucket.mode === "existing" ? backup.bucket.name : undefined,
    prefix: backup.prefix,
    lifecycleRules: lifecycleRules(backup),
    objectLock: backup.objectLock
      ? { mode: backup.objectLock.mode, days: backup.objectLock.retentionDays }
      : undefined,
    oidc: {
      owner: github!.owner,
      repository: github!.repository,
      branch: backup.oidcBranch,
      environment: backup.oidcEnvironment,
    },
  };
}

/**
 * Dumps under the prefix move to the archive class, then expire; superseded
 * versions are cleaned up; unfinished multipart uploads (a crashed dump) are
 * aborted so they stop costing money; and delete markers left behind by
 * expiry are removed.
 */
export function lifecycleRules(
  backup: Pick<
    BackupConfig,
    | "prefix"
    | "archiveAfterDays"
    | "retentionDays"
    | "noncurrentVersionDays"
    | "abortIncompleteMultipartDays"
  >,
): LifecycleRule[] {
  return [
    {
      id: "archive-then-expire-dumps",
      status: "Enabled",
      filter: { prefix: backup.prefix },
      transitions: [{ days: backup.archiveAfterDays, storageClass: ARCHIVE_STORAGE_CLASS }],
      expiration: { days: backup.retentionDays },
      noncurrentVersionExpiration: { noncurrentDays: backup.noncurrentVersionDays },
    },
    {
      id: "abort-incomplete-multipart-uploads",
      status: "Enabled",
      filter: {},
      abortIncompleteMultipartUpload: { daysAfterInitiation: backup.abortIncompleteMultipartDays },
    },
    {
      id: "remove-expired-delete-markers",
      status: "Enabled",
      filter: {},
      expiration: { expiredObjectDeleteMarker: true },
    },
  ];
}
