/**
 * `VercelEnvSink` and `GithubSecretsSink`: rotated values written straight
 * through the vendors' APIs (../providers/sinks.ts), for stacks without the
 * Vercel and GitHub provider plugins. Values and tokens are secrets in state.
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ROTATION_STEPS_MODULE } from "./modules";
import { LoadedDynamicResource } from "../../lib/dynamic/resource";
import { providerVersion } from "../../lib/dynamic/version";
import {
  GITHUB_SECRETS_PROVIDER_ID,
  VERCEL_ENV_PROVIDER_ID,
  type GithubSecretsInputs,
  type VercelEnvInputs,
} from "../providers/sinks";

export function sinksProviderVersion(): string {
  return providerVersion(join(__dirname, "..", "providers", "sinks.ts"));
}

type Args<I> = { [K in keyof Omit<I, "providerVersion">]: pulumi.Input<I[K]> };

/** One Vercel project's rotated variables, written in one batched call. */
export type VercelEnvSinkArgs = Args<VercelEnvInputs>;
/** One GitHub repository's rotated Actions secrets. */
export type GithubSecretsSinkArgs = Args<GithubSecretsInputs>;

export class VercelEnvSink extends LoadedDynamicResource {
  constructor(name: string, args: VercelEnvSinkArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      VERCEL_ENV_PROVIDER_ID,
      name,
      {
        ...args,
        token: pulumi.secret(args.token),
        variables: pulumi.secret(args.variables),
        providerVersion: sinksProviderVersion(),
        written: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["token", "variables"] }),
      ROTATION_STEPS_MODULE,
      "VercelEnvSink",
    );
  }
}

export class GithubSecretsSink extends LoadedDynamicResource {
  constructor(name: string, args: GithubSecretsSinkArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      GITHUB_SECRETS_PROVIDER_ID,
      name,
      {
        ...args,
        token: pulumi.secret(args.token),
        secrets: pulumi.secret(args.secrets),
        providerVersion: sinksProviderVersion(),
        written: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["token", "secrets"] }),
      ROTATION_STEPS_MODULE,
      "GithubSecretsSink",
    );
  }
}
