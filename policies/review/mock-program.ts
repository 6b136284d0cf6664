/**
 * Runs a Pulumi program in this process under Pulumi's mocks and records
 * every resource it registers, as the policies need it: inputs with secrets
 * unwrapped (the analyzer unwraps them too), outputs shaped like the cloud's
 * (ids, names and ARNs other resources refer to), and a URN per resource.
 * No provider plugin, credential or network is involved.
 *
 * Mocks are per process: one program run per process.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ReviewResource } from "./evaluate";

/** Stands in for the AWS account id in every ARN. */
export const REVIEW_ACCOUNT_ID = "000000000000";

/** The marker Pulumi's RPC layer uses for a secret value (mocks receive it as-is). */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";

function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    if (SECRET_SIG_KEY in record) return unwrapSecrets(record.value);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** `aws-<region>` in the provider reference, as the program names its AWS providers. */
function regionOf(provider: string | undefined): string {
  return provider?.match(/::aws-([a-z]{2}(?:-gov)?-[a-z]+-\d)::/)?.[1] ?? "us-east-1";
}

/** What AWS would answer for the ids and ARNs other resources use to point at this one. */
function cloudState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  provider: string | undefined,
): { id: string; state: Record<string, unknown> } {
  const region = regionOf(provider);
  const physical = typeof inputs.name === "string" ? inputs.name : name;
  const state: Record<string, unknown> = { ...inputs };
  let id = `${name}-id`;
  const [pkg, mod] = type.split(":");
  if (pkg === "aws")
    state.arn = `arn:aws:${(mod ?? "").split("/")[0]}:${region}:${REVIEW_ACCOUNT_ID}:${name}`;
  switch (type) {
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2": {
      id = String(inputs.bucket ?? name);
      state.bucket = id;
      state.arn = `arn:aws:s3:::${id}`;
      break;
    }
    case "aws:kms/key:Key":
      state.keyId = id;
      state.arn = `arn:aws:kms:${region}:${REVIEW_ACCOUNT_ID}:key/${id}`;
      break;
    case "aws:iam/role:Role":
      id = physical;
      state.arn = `arn:aws:iam::${REVIEW_ACCOUNT_ID}:role/${physical}`;
      break;
    case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
      state.arn = `arn:aws:iam::${REVIEW_ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com`;
      break;
    case "aws:sns/topic:Topic":
      state.arn = `arn:aws:sns:${region}:${REVIEW_ACCOUNT_ID}:${physical}`;
      id = state.arn as string;
      break;
    case "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration":
      state.chatConfigurationArn = `arn:aws:chatbot::${REVIEW_ACCOUNT_ID}:chat-configuration/slack-channel/${name}`;
      break;
    case "github:index/repositoryFile:RepositoryFile":
      state.commitSha = "0".repeat(40);
      break;
  }
  state.id = id;
  return { id, state };
}

/** Provider functions the program calls, answered as the cloud would. */
const CALLS: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>> = {
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    accountId: REVIEW_ACCOUNT_ID,
    arn: `arn:aws:iam::${REVIEW_ACCOUNT_ID}:user/policy-review`,
    userId: "AIDAPOLICYREVIEW",
    id: REVIEW_ACCOUNT_ID,
  }),
  "github:index/getTeam:getTeam": (inputs) => ({
    id: "1",
    slug: inputs.slug,
    name: inputs.slug,
    nodeId: `T_${String(inputs.slug)}`,
  }),
};

export interface MockRun {
  project: string;
  stack: string;
  /** Config keys (`ns:key`) and values, as `pulumi config` holds them. */
  config: Record<string, string>;
  /** Which of those keys are secret. */
  secretKeys: string[];
}

/** Run `program` under mocks and return every resource it registered. */
export async function recordProgram(
  run: MockRun,
  program: () => unknown,
): Promise<ReviewResource[]> {
  const recorded: ReviewResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const { id, state } = cloudState(args.type, args.name, args.inputs, args.provider);
        recorded.push({
          type: args.type,
          name: args.name,
          urn: `urn:pulumi:${run.stack}::${run.project}::${args.type}::${args.name}`,
          inputs: unwrapSecrets(args.inputs) as Record<string, unknown>,
          outputs: unwrapSecrets(state) as Record<string, unknown>,
        });
        return { id, state };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        const answer = CALLS[args.token];
        if (!answer)
          throw new Error(`policy:review has no stand-in for provider function ${args.token}`);
        return answer(args.inputs);
      },
    },
    run.project,
    run.stack,
    false,
  );
  pulumi.runtime.setAllConfig(run.config, run.secretKeys);
  program();
  // The same wait `disconnect()` does: every registration started so far has finished.
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
  await settings.waitForRPCs();
  return recorded;
}
