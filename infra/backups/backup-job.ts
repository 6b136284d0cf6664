/**
 * `BackupJob`: a stack's database backup job, managed by the dynamic
 * provider in ./provider.ts (loaded through infra/lib/dynamic/stub.ts, never
 * captured by value).
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { LoadedDynamicResource } from "../lib/dynamic/resource";
import { providerVersion } from "../lib/dynamic/version";
import { BACKUP_JOB_PROVIDER_ID, type BackupJobInputs, type LatestBackup } from "./provider";

/** The version of the code behind `BackupJob`: a hash of ./provider.ts's import graph. */
export function backupProviderVersion(): string {
  return providerVersion(join(__dirname, "provider.ts"));
}

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** Everything a `BackupJob` takes; `connection`, `credentials` and `encryptionKey` must be secrets. */
export type BackupJobArgs = Inputs<Omit<BackupJobInputs, "providerVersion">>;

export class BackupJob extends LoadedDynamicResource {
  /** The latest verified backup: key (manifest), sha256, size, time. */
  declare readonly latest: pulumi.Output<LatestBackup | undefined>;
  /** The latest backup is older than maxAgeHours. */
  declare readonly stale: pulumi.Output<boolean>;
  declare readonly onDelete: pulumi.Output<string>;
  declare readonly providerVersion: pulumi.Output<string>;

  constructor(name: string, args: BackupJobArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      BACKUP_JOB_PROVIDER_ID,
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        credentials: args.credentials === undefined ? undefined : pulumi.secret(args.credentials),
        encryptionKey:
          args.encryptionKey === undefined ? undefined : pulumi.secret(args.encryptionKey),
        providerVersion: backupProviderVersion(),
        latest: undefined,
        stale: undefined,
        onDelete: undefined,
      },
      pulumi.mergeOptions(opts, {
        additionalSecretOutputs: ["connection", "credentials", "encryptionKey"],
      }),
      "runbooks-backups",
      "BackupJob",
    );
  }
}
