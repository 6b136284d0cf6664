/**
 * Every policy of the pack, registered once. Importing this module starts
 * nothing (the `PolicyPack` constructor in ./index.ts starts the policy
 * server), so tests and `policy:review` use these objects directly.
 */
import { disallowForceDestroyInProduction } from "./backup-bucket/disallow-force-destroy-in-production";
import { disallowPublicBackupBucketAccess } from "./backup-bucket/disallow-public-backup-bucket-access";
import { enforceBackupRetention } from "./backup-bucket/enforce-backup-retention";
import { requireBackupBucketKmsEncryption } from "./backup-bucket/require-backup-bucket-kms-encryption";
import { requireBackupBucketVersioning } from "./backup-bucket/require-backup-bucket-versioning";
import { requireTlsOnlyBackupBucketPolicy } from "./backup-bucket/require-tls-only-backup-bucket-policy";
import { enforceBackupJobScheduleAndRetention } from "./backups/enforce-backup-job-schedule-and-retention";
import { requireBackupJob } from "./backups/require-backup-job";
import { disallowSecretsInActionsVariables } from "./github/disallow-secrets-in-actions-variables";
import { requireGithubSecretsFromPulumiSecrets } from "./github/require-github-secrets-from-pulumi-secrets";
import { disallowWildcardBackupRolePermissions } from "./iam/disallow-wildcard-backup-role-permissions";
import { enforceExactGithubOidcTrust } from "./iam/enforce-exact-github-oidc-trust";
import type { RunbooksPolicy } from "./lib/policy";
import { disallowAlwaysTrueTenantPolicies } from "./rls/disallow-always-true-tenant-policies";
import { requireForcedRlsOnTenantTables } from "./rls/require-forced-rls-on-tenant-tables";
import { requireTenantPoliciesForAllowedCommands } from "./rls/require-tenant-policies-for-allowed-commands";
import { enforceRotatedSecretMaxAge } from "./rotation/enforce-rotated-secret-max-age";
import { requireRotatedSecretSinks } from "./rotation/require-rotated-secret-sinks";
import { requireBackupFreshnessAlarm } from "./stack/require-backup-freshness-alarm";
import { requireBudgetNotifications } from "./stack/require-budget-notifications";
import { requireFrequentHealthCheck } from "./stack/require-frequent-health-check";
import { requireSeverityTopicSubscribers } from "./stack/require-severity-topic-subscribers";
import { disallowProductionSecretsInPreview } from "./vercel/disallow-production-secrets-in-preview";
import { requireSensitiveSecretEnvVars } from "./vercel/require-sensitive-secret-env-vars";

/** The pack's name, as violations and `--policy-pack-config` files name it. */
export const POLICY_PACK_NAME = "runbooks";

export const POLICIES: readonly RunbooksPolicy[] = [
  // Backup bucket
  requireBackupBucketVersioning,
  requireBackupBucketKmsEncryption,
  disallowPublicBackupBucketAccess,
  requireTlsOnlyBackupBucketPolicy,
  enforceBackupRetention,
  disallowForceDestroyInProduction,
  // IAM
  disallowWildcardBackupRolePermissions,
  enforceExactGithubOidcTrust,
  // Vercel
  requireSensitiveSecretEnvVars,
  disallowProductionSecretsInPreview,
  // GitHub
  disallowSecretsInActionsVariables,
  requireGithubSecretsFromPulumiSecrets,
  // RLS
  requireForcedRlsOnTenantTables,
  requireTenantPoliciesForAllowedCommands,
  disallowAlwaysTrueTenantPolicies,
  // Rotation
  enforceRotatedSecretMaxAge,
  requireRotatedSecretSinks,
  // Backups
  enforceBackupJobScheduleAndRetention,
  requireBackupJob,
  // Stack
  requireFrequentHealthCheck,
  requireSeverityTopicSubscribers,
  requireBudgetNotifications,
  requireBackupFreshnessAlarm,
];
