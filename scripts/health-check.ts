/** `health:check` — is the app up? Up, degraded or down, with the severity to page. */
import { renderHealthHeader, type FetchLike, type HealthReport } from "../infra/checks/health";
import { HealthInputError, runHealthCheck } from "../infra/checks/health-run";
import { LocalServicesError } from "../infra/local/endpoints";
import { defineCommand, UsageError, type ArgSpecs } from "./lib/command";
import { runAsMain } from "./lib/main";

const ms = (description: string, fallback: number) =>
  ({
    type: "number",
    valueHint: "ms",
    description,
    default: fallback,
    min: 1,
    max: 120_000,
    integer: true,
  }) as const;

export const HEALTH_ARGS = {
  url: {
    type: "string",
    valueHint: "url",
    description: "URL to check (basic-auth credentials in it are sent, never printed)",
  },
  attempts: {
    type: "number",
    valueHint: "n",
    description: "requests at most, stopping at the first healthy one",
    default: 3,
    min: 1,
    max: 10,
    integer: true,
  },
  samples: {
    type: "number",
    valueHint: "n",
    description:
      "requests at least, for latency min/median/p95 (default 1; 5 with a latency budget)",
    default: 0,
    min: 0,
    max: 100,
    integer: true,
  },
  timeout: ms("timeout per request", 5000),
  slow: ms("a 2xx slower than this counts as degraded", 2000),
  budget: {
    type: "number",
    valueHint: "ms",
    description: "p95 latency budget (default: alerts.healthCheck.latencyBudgetMs of --stack)",
    default: 0,
    min: 0,
    max: 120_000,
    integer: true,
  },
  "cert-days": {
    type: "number",
    valueHint: "days",
    description: "an https certificate expiring within this many days is a problem",
    default: 14,
    min: 0,
    max: 365,
    integer: true,
  },
} as const satisfies ArgSpecs;

export interface HealthCheckDeps {
  fetch: FetchLike;
  sleep: (ms: number) => Promise<void>;
  /** Extra CA trusted by the certificate check (a private CA). */
  tlsCa: string | Buffer;
}

export const healthCheck = defineCommand<typeof HEALTH_ARGS, HealthCheckDeps, HealthReport>({
  name: "health:check",
  description: "Is the app up? Up, degraded or down, and who to page",
  help:
    "Requests the health endpoint up to --attempts times with a short backoff and reports up,\n" +
    "degraded (2xx but slow, the body reports a problem, or some attempts failed) or down (no 2xx),\n" +
    "with every attempt; latency min/median/p95 over --samples requests against a p95 budget; and\n" +
    "for https the certificate's days left. The URL is --url, else alerts.healthCheck.url of --stack,\n" +
    "else the local stand-in app started by `npm run local`.",
  shared: ["stack", "json", "quiet"],
  args: HEALTH_ARGS,
  async run({ args, stack, root, deps, redactAlso }) {
    try {
      const { report, findings, secrets } = await runHealthCheck({
        url: args.url,
        stack,
        root,
        attempts: args.attempts,
        samples: args.samples > 0 ? args.samples : undefined,
        timeoutMs: args.timeout,
        slowMs: args.slow,
        latencyBudgetMs: args.budget > 0 ? args.budget : undefined,
        certificateWarnDays: args["cert-days"],
        fetch: deps.fetch,
        sleep: deps.sleep,
        tlsCa: deps.tlsCa,
      });
      redactAlso(...secrets);
      return { findings, report, text: renderHealthHeader(report) };
    } catch (error) {
      if (error instanceof HealthInputError || error instanceof LocalServicesError)
        throw new UsageError(error.message);
      throw error;
    }
  },
});

runAsMain(module, healthCheck);
