/**
 * Pulumi mocks that record every registered resource and refuse any provider
 * function that is not explicitly mocked.
 *
 * Mock state is per process; vitest runs each file in its own fork, so each
 * file calls `installMocks` once at the top.
 */
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";

export const ACCOUNT_ID = "123456789012";

/** What a mocked rotated credential's current value is (a connection URL with a fake password). */
export const FAKE_ROTATED_DB_URL =
  "postgres://app_login_b:FAKE-rotated-s3cr3t-51e0aa@db.fake.supabase.co:5432/postgres";

/** The marker Pulumi's RPC layer uses for a secret value (mocks receive it as-is). */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** Provider reference `urn::id`, when the resource has an explicit provider. */
  provider?: string;
  id: string;
  state: Record<string, unknown>;
}

export interface RecordedCall {
  token: string;
  inputs: Record<string, unknown>;
  provider?: string;
}

export interface MockRecorder {
  resources: RecordedResource[];
  calls: RecordedCall[];
  /** Resources of one type token, e.g. `aws:s3/bucket:Bucket`. */
  ofType(type: string): RecordedResource[];
  /** The only resource of a type (fails if there are 0 or several). */
  one(type: string): RecordedResource;
  /** The resource with this logical name. */
  named(name: string): RecordedResource;
  /** Forget everything recorded so far. */
  reset(): void;
}

type CallHandler = (inputs: Record<string, unknown>) => Record<string, unknown>;

/** Provider functions the program may call, and what they answer. */
export const DEFAULT_CALLS: Record<string, CallHandler> = {
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    accountId: ACCOUNT_ID,
    arn: `arn:aws:iam::${ACCOUNT_ID}:user/mock`,
    userId: "AIDAMOCK",
    id: ACCOUNT_ID,
  }),
  "github:index/getTeam:getTeam": (inputs) => ({
    id: String(4000 + String(inputs.slug).length),
    slug: inputs.slug,
    name: inputs.slug,
    nodeId: `T_${String(inputs.slug)}`,
  }),
};

/** The region of an explicit AWS provider named `aws-<region>` (as the program names them). */
export function regionOfProvider(provider: string | undefined): string | undefined {
  return provider?.match(/::aws-([a-z]{2}(?:-gov)?-[a-z]+-\d)::/)?.[1];
}

function plainState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  provider: string | undefined,
): { id: string; state: Record<string, unknown> } {
  const id = `${name}-id`;
  const region = regionOfProvider(provider) ?? "no-region";
  const state: Record<string, unknown> = { ...inputs };
  const [pkg, mod] = type.split(":");
  if (pkg === "aws") {
    const service = (mod ?? "").split("/")[0];
    state.arn = `arn:aws:${service}:${region}:${ACCOUNT_ID}:${name}`;
  }
  switch (type) {
    case "aws:s3/bucket:Bucket":
      state.arn = `arn:aws:s3:::${String(unwrap(inputs.bucket) ?? name)}`;
      state.bucket = inputs.bucket ?? name;
      break;
    case "aws:kms/key:Key":
      state.keyId = id;
      state.arn = `arn:aws:kms:${region}:${ACCOUNT_ID}:key/${id}`;
      break;
    case "aws:iam/role:Role":
      state.arn = `arn:aws:iam::${ACCOUNT_ID}:role/${String(inputs.name ?? name)}`;
      break;
    case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
      state.arn = `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com`;
      break;
    case "aws:sns/topic:Topic":
      state.arn = `arn:aws:sns:${region}:${ACCOUNT_ID}:${String(inputs.name ?? name)}`;
      break;
    case "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration":
      state.chatConfigurationArn = `arn:aws:chatbot::${ACCOUNT_ID}:chat-configuration/slack-channel/${name}`;
      break;
    case "github:index/repositoryFile:RepositoryFile":
      state.commitSha = "0123456789abcdef0123456789abcdef01234567";
      break;
    case "pulumi-nodejs:dynamic/runbooks-rotation:RotatedCredential": {
      // What the credential provider would return after its first generation.
      const slot = {
        id: `${name}#g1`,
        generation: 1,
        createdAt: "2030-01-01T00:00:00.000Z",
        detail: {},
      };
      Object.assign(state, {
        current: FAKE_ROTATED_DB_URL,
        previousOrCurrent: FAKE_ROTATED_DB_URL,
        currentId: slot.id,
        generation: 1,
        rotatedAt: slot.createdAt,
        state: {
          generation: 1,
          current: slot,
          rotatedAt: slot.createdAt,
          retired: [],
          served: { epoch: 0 },
        },
        lastAction: { kind: "create", reason: "first generation", at: slot.createdAt },
      });
      break;
    }
    case "pulumi-nodejs:dynamic/runbooks-rotation-steps:Rollout":
      state.verified = {};
      state.deployments = {};
      break;
  }
  return { id, state };
}

/** A secret-wrapped value's payload, or the value itself. */
export function unwrap(value: unknown): unknown {
  return isWrappedSecret(value) ? value.value : value;
}

export function isWrappedSecret(value: unknown): value is { value: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG
  );
}

/** Remove every secret-wrapped subtree, leaving a marker: what is left is stored in plain text. */
export function stripSecrets(value: unknown): unknown {
  if (isWrappedSecret(value)) return "<secret>";
  if (Array.isArray(value)) return value.map(stripSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripSecrets(v)]));
  }
  return value;
}

/** Replace secret wrappers by their payloads (for asserting on values). */
export function unwrapDeep(value: unknown): unknown {
  if (isWrappedSecret(value)) return unwrapDeep(value.value);
  if (Array.isArray(value)) return value.map(unwrapDeep);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapDeep(v)]));
  }
  return value;
}

export function installMocks(
  options: { project?: string; stack?: string; calls?: Record<string, CallHandler> } = {},
): MockRecorder {
  const calls = { ...DEFAULT_CALLS, ...options.calls };
  const recorder: MockRecorder = {
    resources: [],
    calls: [],
    ofType(type) {
      return recorder.resources.filter((r) => r.type === type);
    },
    one(type) {
      const found = recorder.ofType(type);
      if (found.length !== 1)
        throw new Error(
          `expected exactly one ${type}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`,
        );
      return found[0]!;
    },
    named(name) {
      const found = recorder.resources.filter((r) => r.name === name);
      if (found.length !== 1)
        throw new Error(`expected exactly one resource named ${name}, found ${found.length}`);
      return found[0]!;
    },
    reset() {
      recorder.resources.length = 0;
      recorder.calls.length = 0;
    },
  };
  void pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const { id, state } = plainState(args.type, args.name, args.inputs, args.provider);
        recorder.resources.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          provider: args.provider,
          id,
          state,
        });
        return { id, state };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        recorder.calls.push({ token: args.token, inputs: args.inputs, provider: args.provider });
        const handler = calls[args.token];
        if (!handler)
          throw new Error(
            `unmocked provider function ${args.token}; mock it explicitly in the test`,
          );
        return handler(args.inputs);
      },
    },
    options.project ?? "runbooks",
    options.stack ?? "test",
    false,
  );
  return recorder;
}

/** Wait until every registration and output resolution started so far has finished. */
export async function settle(): Promise<void> {
  // Internal to @pulumi/pulumi but stable across 3.x: the same wait `disconnect()` does.
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
  await settings.waitForRPCs();
}

/** Resolve an Output's value. */
export function resolve<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
  return new Promise((r) => pulumi.output(output).apply((v) => r(v as T)));
}

/** Whether an Output is marked secret. */
export async function isSecretOutput(output: pulumi.Output<unknown>): Promise<boolean> {
  return pulumi.isSecret(output);
}

/** The `XArgs` interface text of a resource type's `.d.ts`, or undefined when not found. */
function argsInterfaceText(type: string): string | undefined {
  const [pkg, modPath, className] = type.split(":");
  if (!pkg || !modPath || !className) return undefined;
  const packageDir = {
    aws: "@pulumi/aws",
    github: "@pulumi/github",
    vercel: "@pulumiverse/vercel",
    postgresql: "@pulumi/postgresql",
  }[pkg];
  if (!packageDir) return undefined;
  const [mod, file] = modPath.split("/");
  const root = join(__dirname, "..", "..", "..", "node_modules", packageDir);
  const path = mod === "index" ? join(root, `${file}.d.ts`) : join(root, mod ?? "", `${file}.d.ts`);
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, "utf8");
  const start = text.indexOf(`export interface ${className}Args {`);
  if (start < 0) return undefined;
  return text.slice(start, text.indexOf("\n}", start));
}

/** Whether the provider's schema lets this resource type carry tags (read from its typings). */
export function acceptsTags(type: string): boolean {
  const args = argsInterfaceText(type);
  if (args === undefined) throw new Error(`cannot find the Args typings of ${type}`);
  return /\n\s+tags\?:/.test(args);
}

/**
 * Records the resource options of every descendant of the resource it is
 * attached to (as `transformations: [recorder.transformation]`). Mocks do not
 * see options such as `retainOnDelete`; this does.
 */
export function optionRecorder(): {
  transformation: pulumi.ResourceTransformation;
  options: Map<string, pulumi.CustomResourceOptions>;
} {
  const options = new Map<string, pulumi.CustomResourceOptions>();
  return {
    options,
    transformation: (args) => {
      options.set(args.name, args.opts as pulumi.CustomResourceOptions);
      return undefined;
    },
  };
}
