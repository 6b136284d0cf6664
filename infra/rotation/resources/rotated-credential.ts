/**
 * `RotatedCredential`: one credential's generations, managed by the dynamic
 * provider in ../providers/credential.ts through the shared loader.
 *
 * For the policy pack (policies/contracts.ts): `name`, `maxAgeDays` (interval
 * plus overlap: the longest any value stays valid) and `sinks` (`{kind,
 * target}` per place its value goes) are plain inputs. It is the only type in
 * the `runbooks-rotation` module, which the pack reads as "one managed
 * secret per resource"; the rotation's other steps live in
 * `runbooks-rotation-steps`.
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { LoadedDynamicResource } from "../../lib/dynamic/resource";
import { providerVersion } from "../../lib/dynamic/version";
import type { CredentialInputs } from "../inputs";
import type { CredentialState } from "../plan";
import { CREDENTIAL_PROVIDER_ID, type CredentialOutputs } from "../providers/credential";
import type { RotationSinkRef } from "../stack-plan";

export function credentialProviderVersion(): string {
  return providerVersion(join(__dirname, "..", "providers", "credential.ts"));
}

type Args = {
  [K in keyof Omit<CredentialInputs, "providerVersion">]: pulumi.Input<CredentialInputs[K]>;
};

/** Inputs of a rotated credential (see CredentialInputs for each field). */
export type RotatedCredentialArgs = Args;

export class RotatedCredential extends LoadedDynamicResource {
  declare readonly state: pulumi.Output<CredentialState>;
  declare readonly current: pulumi.Output<string>;
  declare readonly previousOrCurrent: pulumi.Output<string>;
  declare readonly currentId: pulumi.Output<string>;
  declare readonly generation: pulumi.Output<number>;
  declare readonly rotatedAt: pulumi.Output<string>;
  declare readonly chainLatest: pulumi.Output<string>;
  declare readonly lastAction: pulumi.Output<CredentialOutputs["lastAction"]>;
  declare readonly maxAgeDays: pulumi.Output<number>;
  declare readonly sinks: pulumi.Output<RotationSinkRef[]>;

  constructor(name: string, args: RotatedCredentialArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      CREDENTIAL_PROVIDER_ID,
      name,
      {
        ...args,
        postgres: args.postgres === undefined ? undefined : pulumi.secret(args.postgres),
        supabase: args.supabase === undefined ? undefined : pulumi.secret(args.supabase),
        providerVersion: credentialProviderVersion(),
        state: undefined,
        current: undefined,
        previous: undefined,
        previousOrCurrent: undefined,
        currentId: undefined,
        generation: undefined,
        rotatedAt: undefined,
        chainLatest: undefined,
        lastAction: undefined,
      },
      pulumi.mergeOptions(opts, {
        additionalSecretOutputs: [
          "current",
          "previous",
          "previousOrCurrent",
          "postgres",
          "supabase",
        ],
      }),
      "runbooks-rotation",
      "RotatedCredential",
    );
  }
}
