/**
 * `RotatedCredential`: one credential's generations, managed by the dynamic
 * provider in ../providers/credential.ts through the shared loader.
 *
 * For the policy pack: `maxAgeDays` (the longest a generation stays current)
 * and `sinks` (where its value goes) are plain inputs of every resource of
 * type `pulumi-nodejs:dynamic/runbooks-rotation:RotatedCredential`.
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { providerStub } from "../../lib/dynamic/stub";
import { providerVersion } from "../../lib/dynamic/version";
import type { CredentialInputs } from "../inputs";
import type { CredentialState } from "../plan";
import { CREDENTIAL_PROVIDER_ID, type CredentialOutputs } from "../providers/credential";

const provider = providerStub<CredentialInputs, CredentialOutputs>(CREDENTIAL_PROVIDER_ID);

export function credentialProviderVersion(): string {
  return providerVersion(join(__dirname, "..", "providers", "credential.ts"));
}

type Args = {
  [K in keyof Omit<CredentialInputs, "providerVersion">]: pulumi.Input<CredentialInputs[K]>;
};

/** Inputs of a rotated credential (see CredentialInputs for each field). */
export type RotatedCredentialArgs = Args;

export class RotatedCredential extends pulumi.dynamic.Resource {
  declare readonly state: pulumi.Output<CredentialState>;
  declare readonly current: pulumi.Output<string>;
  declare readonly previousOrCurrent: pulumi.Output<string>;
  declare readonly currentId: pulumi.Output<string>;
  declare readonly generation: pulumi.Output<number>;
  declare readonly rotatedAt: pulumi.Output<string>;
  declare readonly chainLatest: pulumi.Output<string>;
  declare readonly lastAction: pulumi.Output<CredentialOutputs["lastAction"]>;
  declare readonly maxAgeDays: pulumi.Output<number>;
  declare readonly sinks: pulumi.Output<string[]>;

  constructor(name: string, args: RotatedCredentialArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
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
