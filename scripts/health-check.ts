/** `health:check` — is the app up? Up, degraded or down, with the severity to page. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  checkHealth,
  healthFindings,
  healthTarget,
  renderHealthHeader,
  stackHealthSettings,
  type FetchLike,
  type HealthReport,
} from "../infra/checks/health";
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

const ARGS = {
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
  timeout: ms("timeout per request", 5000),
  slow: ms("a 2xx slower than this counts as degraded", 2000),
} as const satisfies ArgSpecs;

export interface HealthCheckDeps {
  fetch: FetchLike;
  sleep: (ms: number) => Promise<void>;
}

/** The local stand-in app's health URL, from .local/services.json. */
function localAppUrl(root: string): string | undefined {
  const file = join(root, ".local", "services.json");
  if (!existsSync(file)) return undefined;
  try {
    const state = JSON.parse(readFileSync(file, "utf8")) as { app?: { url?: unknown } };
    const url = state.app?.url;
    return typeof url === "string" ? `${url.replace(/\/+$/, "")}/api/health` : undefined;
  } catch {
    throw new UsageError(
      ".local/services.json is not valid JSON; run `npm run local` again, or pass --url",
    );
  }
}

export const healthCheck = defineCommand<typeof ARGS, HealthCheckDeps, HealthReport>({
  name: "health:check",
  description: "Is the app up? Up, degraded or down, and who to page",
  help:
    "Requests the health endpoint up to --attempts times with a short backoff and reports up,\n" +
    "degraded (2xx but slow, the body reports a problem, or some attempts failed) or down (no 2xx),\n" +
    "with every attempt. The URL is --url, else alerts.healthCheck.url of --stack, else the local\n" +
    "stand-in app started by `npm run local`.",
  shared: ["stack", "json", "quiet"],
  args: ARGS,
  async run({ args, stack, root, deps, redactAlso }) {
    const stackFile = stack?.context.stackFile;
    const settings = stackHealthSettings(stack?.config.alerts, stackFile);
    let url: string | undefined;
    let source: string;
    if (args.url !== undefined) {
      [url, source] = [args.url, "--url"];
    } else if (settings.url !== undefined) {
      [url, source] = [settings.url, `alerts.healthCheck.url in ${stackFile}`];
    } else if (stack && stack.context.stack !== "local") {
      throw new UsageError(
        `${stackFile} sets no runbooks:alerts.healthCheck.url; add it there, or pass --url <url>`,
      );
    } else {
      [url, source] = [localAppUrl(root), "the local stand-in app, from .local/services.json"];
      if (url === undefined)
        throw new UsageError(
          "no URL to check: pass --url <url>, or --stack <name> whose alerts.healthCheck.url is set, " +
            "or start the local stand-in app with `npm run local`",
        );
    }
    let target;
    try {
      target = healthTarget(url);
    } catch (error) {
      throw new UsageError(`${(error as Error).message} (from ${source})`);
    }
    // The credentials only: the URL itself is printed (with them masked).
    redactAlso(...target.secrets.filter((s) => s !== url));
    const result = await checkHealth(target, {
      attempts: args.attempts,
      timeoutMs: args.timeout,
      slowMs: args.slow,
      fetch: deps.fetch,
      sleep: deps.sleep,
    });
    const report: HealthReport = {
      url: target.display,
      urlSource: source,
      ...result,
      thresholds: { slowMs: args.slow, timeoutMs: args.timeout, attempts: args.attempts },
      paging: settings.paging,
    };
    return { findings: healthFindings(report), report, text: renderHealthHeader(report) };
  },
});

runAsMain(module, healthCheck);
