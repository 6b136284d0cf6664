/** `runbooks:backup`: where dumps go, when they are taken, how long they are kept. */
import { z } from "zod";
import { parseWith, type ConfigContext } from "./errors";
import type { Features } from "./features";
import { secretRef, type SecretRequirement } from "./shared";

export const backupSchema = z
  .object({
    bucket: z
      .discriminatedUnion("mode", [
        z.object({ mode: z.literal("create") }).strict(),
        z
          .object({
            mode: z.literal("existing"),
            name: z
              .string()
              .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid S3 bucket name"),
          })
          .strict(),
        z.object({ mode: z.literal("skip") }).strict(),
      ])
      .default({ mode: "create" }),
    /** Key prefix for this stack's dumps. */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9!_.*'()/-]*$/, "must be a safe S3 key prefix")
      .default("postgres/"),
    /** Cron (UTC) for the backup workflow. */
    schedule: z
      .string()
      .regex(/^(\S+\s+){4}\S+$/, "must be a 5-field cron expression such as '17 3 * * *'")
      .default("17 3 * * *"),
    /** Days before a dump moves to an archive storage class. */
    archiveAfterDays: z.number().int().min(1).default(30),
    /** Days a dump is kept in total. */
    retentionDays: z.number().int().min(1).default(90),
    /** Days a superseded (noncurrent) object version is kept. */
    noncurrentVersionDays: z.number().int().min(1).default(30),
    /** Days after which an unfinished multipart upload is aborted. */
    abortIncompleteMultipartDays: z.number().int().min(1).max(30).default(2),
    /** S3 Object Lock to make dumps immutable. */
    objectLock: z
      .object({
        mode: z.enum(["GOVERNANCE", "COMPLIANCE"]),
        retentionDays: z.number().int().min(1),
      })
      .strict()
      .optional(),
    /** Hours after which a missing backup is an incident. */
    maxAgeHours: z.number().min(1).default(26),
    /** Custom S3 endpoint (the `local` stack's S3 server); omit for AWS. */
    endpoint: z.string().url().optional(),
    /** GitHub branch whose workflows may assume the backup role. */
    oidcBranch: z.string().default("main"),
    /** GitHub environment whose workflows may assume the backup role. */
    oidcEnvironment: z.string().optional(),
    /** Grandfather-father-son retention applied by `backup:prune`: newest backup per day, ISO week and month. */
    retention: z
      .object({
        daily: z.number().int().min(0).max(366).default(7),
        weekly: z.number().int().min(0).max(520).default(4),
        monthly: z.number().int().min(0).max(1200).default(6),
        /** Hours an incomplete backup folder is left alone (it may still be running). */
        incompleteGraceHours: z.number().min(1).max(720).default(24),
      })
      .strict()
      .default({ daily: 7, weekly: 4, monthly: 6, incompleteGraceHours: 24 }),
    /** Seconds pg_dump (and the row counts) may wait for a lock before the backup gives up. */
    lockWaitTimeoutSeconds: z.number().min(1).max(3600).default(120),
    /** Parallel data streams from one exported snapshot (1: a single pg_dump stream). */
    jobs: z.number().int().min(1).max(16).default(1),
    /** Tables with more estimated rows than this are counted by estimate in the manifest. */
    exactCountMaxRows: z.number().int().min(0).default(1_000_000),
    /** Config key of a secret 32-byte base64 key for client-side AES-256-GCM encryption of dumps. */
    encryptionKeySecretRef: secretRef.optional(),
    /** Static S3 credentials for a custom endpoint (the local stack's S3 server); AWS uses its credential chain. */
    credentials: z
      .object({ accessKeyIdSecretRef: secretRef, secretAccessKeySecretRef: secretRef })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.archiveAfterDays >= b.retentionDays) {
      ctx.addIssue({
        code: "custom",
        path: ["archiveAfterDays"],
        message: `must be less than retentionDays (${b.retentionDays}), otherwise dumps expire before they are archived`,
      });
    }
    if (b.objectLock && b.objectLock.retentionDays > b.retentionDays) {
      ctx.addIssue({
        code: "custom",
        path: ["objectLock", "retentionDays"],
        message: `must not exceed retentionDays (${b.retentionDays}); locked objects could not expire`,
      });
    }
  });

export type BackupConfig = z.infer<typeof backupSchema>;

/** Validate `runbooks:backup` alone (absent: the defaults). Throws `ConfigError`. */
export function parseBackup(raw: unknown, context: ConfigContext): BackupConfig {
  return parseWith(backupSchema, raw ?? {}, context, ["backup"]);
}

/** The client-side encryption key and static S3 credentials, when backups are on and set them. */
export function backupSecrets(config: {
  features: Features;
  backup: BackupConfig;
}): SecretRequirement[] {
  if (!config.features.backups) return [];
  const b = config.backup;
  const out: SecretRequirement[] = [];
  if (b.encryptionKeySecretRef)
    out.push({
      key: b.encryptionKeySecretRef,
      usedBy: "backup.encryptionKeySecretRef",
      example: "<openssl rand -base64 32>",
    });
  if (b.credentials) {
    out.push(
      {
        key: b.credentials.accessKeyIdSecretRef,
        usedBy: "backup.credentials.accessKeyIdSecretRef",
        example: "<access key id>",
      },
      {
        key: b.credentials.secretAccessKeySecretRef,
        usedBy: "backup.credentials.secretAccessKeySecretRef",
        example: "<secret access key>",
      },
    );
  }
  return out;
}
