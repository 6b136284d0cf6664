/**
 * The whole stack: one validated configuration, one plan of every area (all
 * problems reported at once), then one `deployX(config, deps)` per feature.
 * An area whose feature is off returns `undefined`, and its output is absent.
 * Dependencies between areas are explicit arguments: GitHub gets the backup
 * storage it writes workflows for, and Vercel and GitHub get the rotation
 * area's current credentials.
 */
import type * as pulumi from "@pulumi/pulumi";
import { deployAlerts } from "./alerts/deploy";
import { deployBackupStorage } from "./backup-storage/deploy";
import { deployBackups, rlsBackupTrigger } from "./backups/deploy";
import { escalationTable, type LoadedStackConfig } from "./config/index";
import { deployGithub } from "./github/deploy";
import { awsProviders } from "./lib/aws-providers";
import { planStack } from "./plan";
import { deployRls, rlsTablesFor } from "./rls/deploy";
import { deployRotation } from "./rotation/deploy";
import { deployVercel } from "./vercel/deploy";

export interface StackDeps {
  /**
   * Current values of rotated credentials by `rotation.credentials[].name`,
   * for a program whose rotation area is off (the area's own values win when
   * it is on). A `rotationRef` without a value is a config error naming the key.
   */
  rotated?: Record<string, pulumi.Output<string>>;
}

/** The credential names a config's rotation area provides values for (`<name>.previous` for generic ones). */
function rotatedNames(config: LoadedStackConfig): string[] {
  if (!config.features.rotation) return [];
  return config.rotation.credentials.flatMap((c) =>
    c.kind === "generic" ? [c.name, `${c.name}.previous`] : [c.name],
  );
}

export function deployStack(config: LoadedStackConfig, deps: StackDeps = {}) {
  const names = config.features.rotation ? rotatedNames(config) : Object.keys(deps.rotated ?? {});
  const plan = planStack(config, new Set(names));
  const aws = plan.backup || plan.alerting ? awsProviders(config.aws!.region) : undefined;

  const backupStorage = deployBackupStorage(config, { plan, aws });
  // The backup job's trigger is the RLS declaration, and RLS waits for the job: every RLS
  // change in `up` is preceded by a fresh, verified backup.
  const backups = deployBackups(config, {
    backupStorage,
    trigger: config.features.rls
      ? rlsBackupTrigger({
          tables: rlsTablesFor(config, config.stack),
          lockTimeoutSeconds: config.database.lockTimeoutSeconds,
        })
      : undefined,
  });
  const rls = deployRls(config, { dependsOn: backups ? [backups.job] : undefined });
  const alerts = deployAlerts(config, { plan, aws });
  // Rotation first: its current values are the sinks' inputs, so the graph writes them after the new credential.
  const rotation = deployRotation(config, { backupStorage });
  const rotated = rotation?.rotated ?? deps.rotated ?? {};
  const sinks: pulumi.Resource[] = [];
  const vercel = deployVercel(config, { plan, rotated, sinks });
  const github = deployGithub(config, { plan, rotated, backupStorage, sinks });
  // Redeploy, health gate and revocation only after every sink holds the new value.
  const rotationOutputs = rotation?.finish(sinks);

  return {
    stack: config.stack,
    owner: config.owner,
    features: config.features,
    /** The runbook's severity table, as this stack applies it. */
    escalation: escalationTable(config.alerts),
    rls,
    backupStorage,
    backups: backups && {
      bucket: backups.bucket,
      prefix: backups.prefix,
      latest: backups.latest,
      stale: backups.stale,
      providerVersion: backups.providerVersion,
    },
    alerts,
    vercel,
    github,
    rotation: rotationOutputs,
  };
}

export type StackOutputs = ReturnType<typeof deployStack>;
