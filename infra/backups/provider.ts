/**
 * The dynamic provider behind `BackupJob`: a backup job whose `create` takes
 * and verifies a first backup, whose trigger input takes a fresh one during
 * `up` (RLS changes feed it, so a backup precedes every RLS apply), whose
 * `read` reports the latest backup's age so `refresh` shows a stale job, and
 * whose `delete` keeps every backup.
 *
 * The shell is thin: `check` is inputs.ts (the config's zod rules), the work
 * is backup.ts and status.ts. Credentials (connection string, S3 keys,
 * encryption key) are secret inputs, declared in `additionalSecretOutputs`;
 * clients are created inside each call; nothing is read at module load.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { IdentifiedProvider } from "../lib/dynamic/types";
import { runBackup } from "./backup";
import { checkBackupJobInputs, INPUT_KEYS, type BackupJobInputs } from "./inputs";
import type { S3Location } from "./s3";
import { readLatestPointer } from "./status";

export type { BackupJobInputs } from "./inputs";

/** The id the serialized loader asks the provider entry for (infra/lib/dynamic/entry.ts). */
export const BACKUP_JOB_PROVIDER_ID = "runbooks:backups:BackupJob";

export interface LatestBackup {
  id: string;
  /** The manifest's key. */
  key: string;
  sha256: string;
  size: number;
  /** When the backup finished (ISO 8601). */
  time: string;
}

export interface BackupJobOutputs extends BackupJobInputs {
  /** The latest verified backup, as of the last create, update or refresh. */
  latest?: LatestBackup;
  /**
   * The latest backup is older than maxAgeHours (or missing), as of the last create, update
   * or refresh. (Its age itself is not an output: it would make every refresh an update.)
   */
  stale: boolean;
  /** What `pulumi destroy` does to the backups: nothing. */
  onDelete: string;
}

export function locationOf(p: BackupJobInputs): S3Location {
  return {
    bucket: p.bucket,
    prefix: p.prefix,
    region: p.region,
    endpoint: p.endpoint,
    credentials: p.credentials,
    kmsKeyId: p.kmsKeyId,
  };
}

const KEPT =
  "backups are kept: deleting this job never deletes a backup (retention and the bucket lifecycle do)";

async function takeBackup(inputs: BackupJobInputs): Promise<BackupJobOutputs> {
  const report = await runBackup({
    databaseUrl: inputs.connection,
    location: locationOf(inputs),
    stack: inputs.stack,
    jobs: inputs.jobs,
    lockWaitTimeoutSeconds: inputs.lockWaitTimeoutSeconds,
    exactCountMaxRows: inputs.exactCountMaxRows,
    encryptionKey: inputs.encryptionKey,
    metric: inputs.metricRegion ? { stack: inputs.stack, region: inputs.metricRegion } : undefined,
  });
  return {
    ...inputs,
    latest: {
      id: report.id,
      key: report.manifestKey,
      sha256: report.manifest.sha256,
      size: report.manifest.size,
      time: report.manifest.finishedAt,
    },
    stale: false,
    onDelete: KEPT,
  };
}

export type BackupJobProvider = IdentifiedProvider<BackupJobInputs, BackupJobOutputs> &
  Required<
    Pick<
      pulumi.dynamic.ResourceProvider<BackupJobInputs, BackupJobOutputs>,
      "check" | "diff" | "read" | "update" | "delete"
    >
  >;

/** Fields whose change means the job writes somewhere else, or must back up now. */
const BACKUP_NOW: (keyof BackupJobInputs)[] = ["trigger", "bucket", "prefix", "endpoint"];

export function createBackupJobProvider(options: { clock?: () => Date } = {}): BackupJobProvider {
  const clock = options.clock ?? (() => new Date());
  return {
    providerId: BACKUP_JOB_PROVIDER_ID,

    async check(_olds, news) {
      return checkBackupJobInputs(news as unknown as Record<string, unknown>);
    },

    async diff(_id, olds, news) {
      // Inputs only: the outputs (latest, stale, onDelete) are declared as undefined inputs, and
      // the provider version is recorded, not acted on.
      const changed: string[] = INPUT_KEYS.filter(
        (k) => k !== "providerVersion" && JSON.stringify(olds[k]) !== JSON.stringify(news[k]),
      );
      // A new provider version alone is not a change (it would take a backup at every release);
      // a stale job is, so `up` after a refresh that found it stale takes a backup.
      if (olds.stale) changed.push("latest");
      return {
        changes: changed.length > 0,
        diffs: changed,
        replaces: [],
        deleteBeforeReplace: false,
      };
    },

    async create(inputs) {
      const outs = await takeBackup(inputs);
      return { id: `${inputs.bucket}/${inputs.prefix}`, outs };
    },

    async read(id, props) {
      if (!props)
        throw new Error(
          `cannot import backup job ${id}: declare it with runbooks:features.backups and run pulumi up`,
        );
      const pointer = await readLatestPointer(locationOf(props));
      const ageHours = pointer
        ? Number(
            ((clock().getTime() - new Date(pointer.finishedAt).getTime()) / 3_600_000).toFixed(2),
          )
        : undefined;
      return {
        id,
        props: {
          ...props,
          latest: pointer
            ? {
                id: pointer.id,
                key: pointer.manifestKey,
                sha256: pointer.sha256,
                size: pointer.size,
                time: pointer.finishedAt,
              }
            : undefined,
          stale: ageHours === undefined || ageHours > props.maxAgeHours,
          onDelete: KEPT,
        },
      };
    },

    async update(_id, olds, news) {
      const backupNow =
        olds.stale || BACKUP_NOW.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
      if (backupNow) return { outs: await takeBackup(news) };
      return {
        outs: {
          ...news,
          latest: olds.latest,
          stale: olds.stale,
          onDelete: KEPT,
        },
      };
    },

    async delete(_id, props) {
      // The engine shows a provider's stderr in its diagnostics: say what happened to the data.
      process.stderr.write(
        `runbooks: backup job ${props.bucket}/${props.prefix} removed; its ${KEPT.replace(/^backups are kept: /, "backups stay in the bucket (")})\n`,
      );
    },
  };
}
