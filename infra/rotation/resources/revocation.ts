/**
 * `Revocation`: one credential's queue of generations to revoke, worked off
 * after the health gate (../providers/revocation.ts).
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ROTATION_STEPS_MODULE } from "./modules";
import { LoadedDynamicResource } from "../../lib/dynamic/resource";
import { providerVersion } from "../../lib/dynamic/version";
import type { RevocationInputs } from "../inputs";
import { REVOCATION_PROVIDER_ID } from "../providers/revocation";

export function revocationProviderVersion(): string {
  return providerVersion(join(__dirname, "..", "providers", "revocation.ts"));
}

/** A credential's queue and what the gate verified. */
export type RevocationArgs = {
  [K in keyof Omit<RevocationInputs, "providerVersion">]: pulumi.Input<RevocationInputs[K]>;
};

export class Revocation extends LoadedDynamicResource {
  declare readonly revoked: pulumi.Output<string[]>;
  declare readonly pending: pulumi.Output<string[]>;

  constructor(name: string, args: RevocationArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      REVOCATION_PROVIDER_ID,
      name,
      {
        ...args,
        postgres: args.postgres === undefined ? undefined : pulumi.secret(args.postgres),
        supabase: args.supabase === undefined ? undefined : pulumi.secret(args.supabase),
        providerVersion: revocationProviderVersion(),
        revoked: undefined,
        pending: undefined,
        settled: undefined,
        settledUntil: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["postgres", "supabase"] }),
      ROTATION_STEPS_MODULE,
      "Revocation",
    );
  }
}
