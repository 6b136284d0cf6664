/**
 * The rotation area: rotated credentials whose current values feed the
 * Vercel and GitHub areas (`rotated`), then — after those areas declared
 * their sinks — the rollout and the revocations (`finish`).
 */
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { BackupStorageOutputs } from "../backup-storage/deploy";
import {
  ConfigError,
  CONFIG_NAMESPACE,
  stackFileFor,
  type LoadedStackConfig,
} from "../config/index";
import { REPO_ROOT } from "../lib/paths";
import type { AuditLocation } from "./audit";
import { CredentialRotation } from "./credential-rotation";
import { readRequest } from "./request";
import { planRotationStack, type RotationSinkRef } from "./stack-plan";

export interface RotationDeps {
  /** The backup bucket, where the audit log lives unless rotation.audit.file is set. */
  backupStorage?: BackupStorageOutputs;
}

/** Stack outputs of the area: names, ages and sinks, never values. */
export interface RotationOutputs {
  credentials: {
    name: string;
    kind: string;
    maxAgeDays: number;
    sinks: RotationSinkRef[];
    generation: pulumi.Output<number>;
    rotatedAt: pulumi.Output<string>;
    lastAction: pulumi.Output<{ kind: string; reason: string; at: string }>;
  }[];
  audit: pulumi.Output<string>;
  revocationPending?: pulumi.Output<Record<string, string[]>>;
}

export interface RotationArea {
  /** Current value by credential name (`<name>.previous` for generic ones). Secrets. */
  rotated: Record<string, pulumi.Output<string>>;
  /** Declare the rollout and revocations after `sinks`; returns the area's outputs. */
  finish(sinks: pulumi.Resource[]): RotationOutputs;
}

function auditLocation(
  config: LoadedStackConfig,
  deps: RotationDeps,
): pulumi.Output<AuditLocation> {
  const file = config.rotation.audit.file;
  if (file) return pulumi.output({ kind: "file" as const, path: resolve(REPO_ROOT, file) });
  const bucket =
    config.backup.bucket.mode === "existing"
      ? pulumi.output(config.backup.bucket.name)
      : config.backup.bucket.mode === "create" && deps.backupStorage
        ? deps.backupStorage.bucketName
        : undefined;
  if (!bucket || !config.aws)
    throw new ConfigError({ stack: config.stack, stackFile: stackFileFor(config.stack) }, [
      {
        key: `${CONFIG_NAMESPACE}:rotation.audit`,
        message:
          "the rotation audit log needs a home: the backup bucket (backup.bucket create or existing, with backupStorage on) or a file",
        fix: `set rotation.audit.file (e.g. .local/rotation-audit.jsonl) or a backup bucket in ${stackFileFor(config.stack)}`,
      },
    ]);
  return bucket.apply((name) => ({
    kind: "s3" as const,
    bucket: name,
    prefix: `rotation-audit/${config.stack}/`,
    region: config.aws!.region,
    ...(config.backup.endpoint ? { endpoint: config.backup.endpoint } : {}),
  }));
}

export function deployRotation(
  config: LoadedStackConfig,
  deps: RotationDeps = {},
): RotationArea | undefined {
  if (!config.features.rotation || config.rotation.credentials.length === 0) return undefined;
  const plan = planRotationStack(config);
  const r = config.rotation;
  const audit = auditLocation(config, deps);
  const rotation = new CredentialRotation(`${config.project}-rotation`, {
    stack: config.stack,
    plan,
    staggerMinutes: r.staggerMinutes,
    databaseUrl: plan.credentials.some((c) => c.kind === "postgres-login")
      ? config.secret(config.database.urlSecretRef)
      : undefined,
    declareGroupRoles: r.postgresRoles === "postgresql-provider",
    ...(plan.credentials.some((c) => c.kind === "supabase-secret-key")
      ? {
          supabaseApi: {
            url: r.supabaseApi.url,
            token: config.secret(r.supabaseApi.tokenSecretRef),
          },
        }
      : {}),
    ...(plan.vercelSinks.length > 0
      ? {
          vercelApi: {
            url: r.vercelApi.url,
            token: config.secret(r.vercelApi.tokenSecretRef),
            teamId: config.vercel?.teamId,
          },
        }
      : {}),
    ...(plan.githubSinks.length > 0 && r.delivery === "api" && config.github
      ? {
          githubApi: {
            url: r.githubApi.url,
            token: config.secret(r.githubApi.tokenSecretRef),
            owner: config.github.owner,
            repo: config.github.repository,
          },
        }
      : {}),
    delivery: r.delivery,
    audit,
    request: readRequest(),
  });
  return {
    rotated: rotation.rotated,
    finish(sinks) {
      rotation.rollOut(sinks);
      return {
        credentials: rotation.summary,
        audit: audit.apply((a) => (a.kind === "file" ? a.path : `s3://${a.bucket}/${a.prefix}`)),
        revocationPending: rotation.revocationPending,
      };
    },
  };
}
