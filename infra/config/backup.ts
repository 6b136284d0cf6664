/** `runbooks:backup`: where dumps go, when they are taken, how long they are kept. */
import { z } from "zod";
import { parseWith, type ConfigContext } from "./errors";

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
