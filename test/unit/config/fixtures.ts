/**
 * What the config tests share: a context, the smallest valid configuration
 * with every cloud feature on, and helpers that return the ConfigError a
 * change causes.
 */
import {
  ConfigError,
  parseStackConfig,
  type ConfigContext,
  type RawStackConfig,
} from "../../../infra/config/index";
import type { Loose } from "../../support/mocks/fixtures";

export type { Loose };

export const context: ConfigContext = { stack: "staging", stackFile: "stacks/Pulumi.staging.yaml" };

/** The smallest valid configuration with every cloud feature on. */
export function baseline(): RawStackConfig {
  return {
    owner: "platform-team",
    aws: { region: "eu-west-1" },
    vercel: { projectName: "acme-app", gitRepository: { repo: "acme/acme-app" }, env: [] },
    github: { owner: "acme", repository: "acme-app" },
    alerts: {
      healthCheck: { url: "https://app.acme.example/api/health" },
      routes: { P0: { emails: ["oncall@acme.example"] }, P1: {}, P2: {}, P3: {} },
    },
  };
}

/** The ConfigError `run` throws; fails the test if it throws nothing or something else. */
export function thrown(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

export function errorOf(raw: RawStackConfig): ConfigError {
  return thrown(() => parseStackConfig(raw, context));
}

export function keysOf(raw: RawStackConfig): string[] {
  return errorOf(raw).problems.map((p) => p.key);
}

/** The baseline with one change. */
export function withChange(change: (raw: Loose) => void): RawStackConfig {
  const raw = structuredClone(baseline()) as Loose;
  change(raw);
  return raw as RawStackConfig;
}

/** A JWT-shaped string with these claims (unsigned: only its shape matters here). */
export function jwt(claims: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}.c2lnbmF0dXJlLXNpZ25hdHVyZQ`;
}
