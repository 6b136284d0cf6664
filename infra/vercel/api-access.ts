/**
 * How a command reaches the Vercel REST API at run time (rollback, recent
 * deployments, billing): a token from the environment, never from a stack
 * file; the team and project from the stack's `runbooks:vercel`; and for the
 * `local` stack, the Vercel stand-in that `npm run local` started, whose
 * address and generated token are in `.local/services.json`.
 *
 * - `VERCEL_TOKEN` (the Vercel CLI's name) or `VERCEL_API_TOKEN` (the name the
 *   Pulumi provider reads) holds the token;
 * - `VERCEL_API_URL` points the commands at another API server (a proxy, a
 *   stand-in); default `https://api.vercel.com`.
 */
import type { StackFileConfig } from "../config/stack-file";
import { readLocalServices } from "../local/endpoints";

export const VERCEL_API = "https://api.vercel.com";

export interface VercelAccess {
  serverURL: string;
  token: string;
  /** `team_…`; absent for a personal account. */
  teamId?: string;
  /** Project id or name, when the stack (or a flag) names one. */
  project?: string;
  /** Where these settings came from, in words. */
  source: string;
}

/** Why the Vercel API cannot be reached from here, with what to do. */
export class VendorAccessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VendorAccessError";
  }
}

export function resolveVercelAccess(input: {
  stack?: StackFileConfig;
  env: NodeJS.ProcessEnv;
  root: string;
  /** `--project`, overriding the stack's. */
  project?: string;
}): VercelAccess {
  const { stack, env } = input;
  if (stack?.context.stack === "local") {
    const saas = readLocalServices(input.root)?.saas;
    if (!saas?.vercelUrl || !saas.tokens?.vercel)
      throw new VendorAccessError(
        "the local Vercel stand-in is not running: start the local services with `npm run local`",
      );
    const teamId = stack.config.vercel?.teamId;
    return {
      serverURL: saas.vercelUrl,
      token: saas.tokens.vercel,
      ...(teamId ? { teamId } : {}),
      project: input.project ?? stack.config.vercel?.projectName,
      source: "the local Vercel stand-in, from .local/services.json",
    };
  }
  const token = env.VERCEL_TOKEN || env.VERCEL_API_TOKEN;
  const teamId = stack?.config.vercel?.teamId;
  if (!token)
    throw new VendorAccessError(
      `no Vercel token: set VERCEL_TOKEN to an access token${teamId ? ` scoped to team ${teamId}` : ""} (vercel.com → Account Settings → Tokens)`,
    );
  const project = input.project ?? stack?.config.vercel?.projectName;
  return {
    serverURL: (env.VERCEL_API_URL || VERCEL_API).replace(/\/+$/, ""),
    token,
    ...(teamId ? { teamId } : {}),
    ...(project ? { project } : {}),
    source: stack
      ? `runbooks:vercel in ${stack.context.stackFile}, token from the environment`
      : "the environment",
  };
}

/** The `{error: {code, message}}` body Vercel answers errors with, in one line; the token is never part of it. */
export function describeVercelError(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: string; message?: string } };
    if (parsed.error?.message)
      return `HTTP ${status} ${parsed.error.code ?? ""}: ${parsed.error.message}`.replace(
        / :/,
        ":",
      );
  } catch {
    // Not JSON: a proxy's page, most likely.
  }
  return `HTTP ${status}`;
}
