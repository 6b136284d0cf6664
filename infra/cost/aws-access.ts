/**
 * How cost:guard reaches AWS Cost Explorer: the standard AWS credential
 * chain (AWS_PROFILE, SSO, a role in CI), Cost Explorer's one endpoint in
 * us-east-1, and `AWS_ENDPOINT_URL_COST_EXPLORER` to point it elsewhere.
 * For the `local` stack, the Cost Explorer stand-in `npm run local` started,
 * with the generated key pair it accepts, from `.local/services.json`.
 */
import type { CostExplorerClientConfig } from "@aws-sdk/client-cost-explorer";
import type { StackFileConfig } from "../config/stack-file";
import { readLocalServices } from "../local/endpoints";
import { VendorAccessError } from "../vercel/api-access";

/** Cost Explorer is a global service served from us-east-1 only. */
export const COST_EXPLORER_REGION = "us-east-1";

export interface LocalCostExplorer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface CostExplorerAccess {
  config: CostExplorerClientConfig;
  source: string;
  /** Values to mask in everything printed (the local stand-in's secret key). */
  secrets: string[];
}

export function resolveCostExplorerAccess(input: {
  stack?: StackFileConfig;
  env: NodeJS.ProcessEnv;
  root: string;
}): CostExplorerAccess {
  if (input.stack?.context.stack === "local") {
    const local = (
      readLocalServices(input.root) as { costExplorer?: LocalCostExplorer } | undefined
    )?.costExplorer;
    if (!local)
      throw new VendorAccessError(
        "the local Cost Explorer stand-in is not running: start the local services with `npm run local`",
      );
    return {
      config: {
        region: COST_EXPLORER_REGION,
        endpoint: local.endpoint,
        credentials: { accessKeyId: local.accessKeyId, secretAccessKey: local.secretAccessKey },
        maxAttempts: 3,
      },
      source: "the local Cost Explorer stand-in, from .local/services.json",
      secrets: [local.secretAccessKey],
    };
  }
  const { env } = input;
  const endpoint = env.AWS_ENDPOINT_URL_COST_EXPLORER;
  // Keys in the command's environment are used as given (what the SDK would do
  // with the process's); without them the SDK walks its chain (profiles, SSO, roles).
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  return {
    config: {
      region: COST_EXPLORER_REGION,
      maxAttempts: 3,
      ...(endpoint ? { endpoint } : {}),
      ...(credentials ? { credentials } : {}),
    },
    source: endpoint
      ? `AWS_ENDPOINT_URL_COST_EXPLORER (${endpoint}), the AWS credential chain`
      : "Cost Explorer (us-east-1), the AWS credential chain",
    secrets: [env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN].filter(
      (s): s is string => typeof s === "string" && s !== "",
    ),
  };
}
