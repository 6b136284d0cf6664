/**
 * `Rollout`: redeploy once per Vercel project, wait for READY, then the health
 * gate (../providers/rollout.ts). Declared after every sink.
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ROTATION_STEPS_MODULE } from "./modules";
import { LoadedDynamicResource } from "../../lib/dynamic/resource";
import { providerVersion } from "../../lib/dynamic/version";
import type { RolloutInputs } from "../inputs";
import { ROLLOUT_PROVIDER_ID, type RolloutOutputs } from "../providers/rollout";

export function rolloutProviderVersion(): string {
  return providerVersion(join(__dirname, "..", "providers", "rollout.ts"));
}

/** What one rollout carries, where it redeploys and which gates it runs. */
export type RolloutArgs = {
  [K in keyof Omit<RolloutInputs, "providerVersion">]: pulumi.Input<RolloutInputs[K]>;
};

export class Rollout extends LoadedDynamicResource {
  /** Credential → generation id the gate verified. */
  declare readonly verified: pulumi.Output<Record<string, string>>;
  declare readonly deployments: pulumi.Output<RolloutOutputs["deployments"]>;

  constructor(name: string, args: RolloutArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      ROLLOUT_PROVIDER_ID,
      name,
      {
        ...args,
        vercel: args.vercel === undefined ? undefined : pulumi.secret(args.vercel),
        providerVersion: rolloutProviderVersion(),
        verified: undefined,
        deployments: undefined,
        verifiedAt: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["vercel"] }),
      ROTATION_STEPS_MODULE,
      "Rollout",
    );
  }
}
