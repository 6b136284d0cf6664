/**
 * The stable entry of this package for dynamic providers: the serialized
 * loader in each resource's state requires this file in the provider process
 * and asks it for a provider by id. Providers are required lazily, so a
 * process that refreshes RLS never loads the backup or rotation code.
 *
 * The path and the `loadProvider` contract are part of every stack's state:
 * moving this file or renaming the export strands existing stacks.
 */
import { withEngineSafeErrors } from "./engine-errors";
import type { IdentifiedProvider } from "./types";

const FACTORIES: Record<string, () => IdentifiedProvider> = {
  "runbooks:rls:RlsTable": () =>
    (require("../../rls/provider") as typeof import("../../rls/provider")).createRlsTableProvider(),
  "runbooks:backups:BackupJob": () =>
    (
      require("../../backups/provider") as typeof import("../../backups/provider")
    ).createBackupJobProvider(),
  "runbooks:rotation:Credential": () =>
    (
      require("../../rotation/providers/credential") as typeof import("../../rotation/providers/credential")
    ).createCredentialProvider(),
  "runbooks:rotation:VercelEnv": () =>
    (
      require("../../rotation/providers/sinks") as typeof import("../../rotation/providers/sinks")
    ).createVercelEnvProvider(),
  "runbooks:rotation:GithubSecrets": () =>
    (
      require("../../rotation/providers/sinks") as typeof import("../../rotation/providers/sinks")
    ).createGithubSecretsProvider(),
  "runbooks:rotation:Rollout": () =>
    (
      require("../../rotation/providers/rollout") as typeof import("../../rotation/providers/rollout")
    ).createRolloutProvider(),
  "runbooks:rotation:Revocation": () =>
    (
      require("../../rotation/providers/revocation") as typeof import("../../rotation/providers/revocation")
    ).createRevocationProvider(),
};

const instances = new Map<string, IdentifiedProvider>();

/** Every provider id this checkout can serve. */
export function providerIds(): string[] {
  return Object.keys(FACTORIES).sort();
}

/** The provider for `id`, created once per process so its caches are shared by every resource. */
export function loadProvider(id: string): IdentifiedProvider {
  const existing = instances.get(id);
  if (existing) return existing;
  const factory = FACTORIES[id];
  if (!factory) {
    throw new Error(
      `this checkout has no dynamic provider '${id}' (it has: ${providerIds().join(", ")}). ` +
        `The state was written by another version of runbooks: check out that version, or run ` +
        `'git pull && npm ci' so the checkout matches the state.`,
    );
  }
  // Every failure reaches the engine as a plain message (see engine-errors.ts).
  const provider = withEngineSafeErrors(factory());
  instances.set(id, provider);
  return provider;
}
