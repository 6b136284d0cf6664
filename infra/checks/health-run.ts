/**
 * One health check from its inputs to its report: which URL (a flag, the
 * stack's `alerts.healthCheck.url`, or the local stand-in app), which
 * latency budget, the probes, and the certificate. `health:check`,
 * `rollback` (after it has rolled back) and `incident` all run this, so the
 * three cannot disagree on what "up" means.
 */
import type { StackFileConfig } from "../config/stack-file";
import type { Finding } from "../lib/findings";
import { localAppHealthUrl } from "../local/endpoints";
import {
  checkHealth,
  healthFindings,
  healthTarget,
  stackHealthSettings,
  type FetchLike,
  type HealthReport,
} from "./health";
import { readCertificate, type CertificateInfo } from "./tls-certificate";

/** Bad input for a health check (no URL anywhere, a malformed one): the caller shows it as a usage error. */
export class HealthInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HealthInputError";
  }
}

export interface HealthUrlChoice {
  url: string;
  /** Where it came from, in words: `--url`, the stack file's key, the local services. */
  source: string;
}

/** The URL to probe: the flag, else the stack's, else (no stack, or `local`) the local stand-in app. */
export function resolveHealthUrl(
  flagUrl: string | undefined,
  stack: StackFileConfig | undefined,
  root: string,
): HealthUrlChoice {
  if (flagUrl !== undefined) return { url: flagUrl, source: "--url" };
  const stackFile = stack?.context.stackFile;
  const configured = stack?.config.alerts?.healthCheck.url;
  if (configured !== undefined)
    return { url: configured, source: `alerts.healthCheck.url in ${stackFile}` };
  if (stack && stack.context.stack !== "local")
    throw new HealthInputError(
      `${stackFile} sets no runbooks:alerts.healthCheck.url; add it there, or pass --url <url>`,
    );
  const local = localAppHealthUrl(root);
  if (local === undefined)
    throw new HealthInputError(
      "no URL to check: pass --url <url>, or --stack <name> whose alerts.healthCheck.url is set, " +
        "or start the local stand-in app with `npm run local`",
    );
  return { url: local, source: "the local stand-in app, from .local/services.json" };
}

export interface HealthRunOptions {
  /** `--url`, when given. */
  url?: string;
  stack?: StackFileConfig;
  root: string;
  attempts: number;
  timeoutMs: number;
  slowMs: number;
  /** Requests at least; default 1, or 5 when a latency budget applies (one sample says little about a p95). */
  samples?: number;
  /** `--budget`, overriding the stack's `alerts.healthCheck.latencyBudgetMs`. */
  latencyBudgetMs?: number;
  certificateWarnDays: number;
  fetch?: FetchLike;
  sleep?: (ms: number) => Promise<void>;
  /** Extra CA for the certificate check (a private CA; tests). */
  tlsCa?: string | Buffer;
}

export interface HealthRun {
  report: HealthReport;
  findings: Finding[];
  /** Credentials found in the URL: the caller masks them in everything it prints. */
  secrets: string[];
}

export const LATENCY_SAMPLES_WITH_BUDGET = 5;

export async function runHealthCheck(options: HealthRunOptions): Promise<HealthRun> {
  const { url, source } = resolveHealthUrl(options.url, options.stack, options.root);
  const stackFile = options.stack?.context.stackFile;
  const settings = stackHealthSettings(options.stack?.config.alerts, stackFile);
  let target;
  try {
    target = healthTarget(url);
  } catch (error) {
    throw new HealthInputError(`${(error as Error).message} (from ${source})`);
  }
  const configuredBudget = options.stack?.config.alerts?.healthCheck.latencyBudgetMs;
  const budget =
    options.latencyBudgetMs !== undefined
      ? { ms: options.latencyBudgetMs, source: "--budget" }
      : configuredBudget !== undefined
        ? { ms: configuredBudget, source: `alerts.healthCheck.latencyBudgetMs in ${stackFile}` }
        : undefined;
  const samples = options.samples ?? (budget ? LATENCY_SAMPLES_WITH_BUDGET : 1);
  const [result, certificate] = await Promise.all([
    checkHealth(target, {
      attempts: options.attempts,
      samples,
      timeoutMs: options.timeoutMs,
      slowMs: options.slowMs,
      fetch: options.fetch,
      sleep: options.sleep,
    }),
    target.url.startsWith("https:")
      ? readCertificate(target.url, { timeoutMs: options.timeoutMs, ca: options.tlsCa }).catch(
          (error: Error): { error: string } => ({ error: error.message }),
        )
      : Promise.resolve<CertificateInfo | { error: string } | undefined>(undefined),
  ]);
  const report: HealthReport = {
    url: target.display,
    urlSource: source,
    ...result,
    thresholds: {
      slowMs: options.slowMs,
      timeoutMs: options.timeoutMs,
      attempts: options.attempts,
      samples,
      ...(budget ? { latencyBudgetMs: budget.ms, latencyBudgetSource: budget.source } : {}),
      certificateWarnDays: options.certificateWarnDays,
    },
    paging: settings.paging,
    ...(certificate ? { certificate } : {}),
  };
  // The credentials only: the URL itself is printed (with them masked).
  const secrets = target.secrets.filter((s) => s !== url);
  return { report, findings: healthFindings(report), secrets };
}
