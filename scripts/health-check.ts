/**
 * `npm run health:check` — is the app up?
 *
 * Exit 0: up; 1: degraded or down; 2: could not check (no URL, malformed URL).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  checkHealth,
  healthTarget,
  renderHealth,
  stackHealthSettings,
  type FetchLike,
  type HealthReport,
  type HealthTarget,
} from "../infra/checks/health";
import { type NumberOptionSpec } from "./lib/options";
import {
  EXIT_OK,
  EXIT_PROBLEM,
  UsageError,
  numberFlag,
  readStackFile,
  run,
  type CommonFlags,
  type ExitCode,
} from "./lib/cli";
import { REPO_ROOT } from "../infra/lib/paths";

export const USAGE = `Usage: npm run health:check -- [options]

Is the app up? Requests the health endpoint up to --attempts times, with a
short backoff, and reports up, degraded (2xx but slow, the body reports a
problem, or some attempts failed) or down (no 2xx), with the status and
latency of every attempt. When it is down, prints the severity the stack
gives the health alert and how soon to respond.

The URL is --url, else alerts.healthCheck.url of --stack, else the local
stand-in app started by \`npm run local\`.

Options:
  --url <url>         URL to check (basic-auth credentials in it are sent, never printed)
  --stack <name>      URL and alert severity from stacks/Pulumi.<name>.yaml
  --attempts <n>      requests at most, stopping at the first healthy one (default 3)
  --timeout <ms>      timeout per request (default 5000)
  --slow <ms>         a 2xx slower than this counts as degraded (default 2000)
  --json              print the result as JSON
  --help              this text

Exit codes: 0 up, 1 degraded or down, 2 could not check.`;

const ATTEMPTS: NumberOptionSpec = { flag: "attempts", default: 3, min: 1, max: 10, integer: true };
const TIMEOUT: NumberOptionSpec = {
  flag: "timeout",
  default: 5000,
  min: 1,
  max: 120_000,
  integer: true,
};
const SLOW: NumberOptionSpec = { flag: "slow", default: 2000, min: 1, max: 120_000, integer: true };

export interface HealthCheckIo {
  out: (line: string) => void;
  /** Repository root: where stacks/ and .local/ are read. */
  root: string;
  fetch?: FetchLike;
  sleep?: (ms: number) => Promise<void>;
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

function resolveTarget(
  flags: CommonFlags,
  root: string,
): { target: HealthTarget; source: string; settings: ReturnType<typeof stackHealthSettings> } {
  const stackFile = flags.stack ? readStackFile(flags.stack, root) : undefined;
  const settings = stackHealthSettings(stackFile?.raw.alerts, stackFile?.path);
  const flagUrl = flags.options.get("url");
  let url: string | undefined;
  let source: string;
  if (typeof flagUrl === "string") {
    url = flagUrl;
    source = "--url";
  } else if (settings.url !== undefined) {
    url = settings.url;
    source = `alerts.healthCheck.url in ${stackFile!.path}`;
  } else if (stackFile && flags.stack !== "local") {
    throw new UsageError(
      `${stackFile.path} sets no runbooks:alerts.healthCheck.url; add it there, or pass --url <url>`,
    );
  } else {
    url = localAppUrl(root);
    source = "the local stand-in app, from .local/services.json";
    if (url === undefined)
      throw new UsageError(
        "no URL to check: pass --url <url>, or --stack <name> whose alerts.healthCheck.url is set, " +
          "or start the local stand-in app with `npm run local`",
      );
  }
  try {
    return { target: healthTarget(url), source, settings };
  } catch (error) {
    throw new UsageError(`${(error as Error).message} (from ${source})`);
  }
}

export async function main(flags: CommonFlags, io: Partial<HealthCheckIo> = {}): Promise<ExitCode> {
  const out = io.out ?? ((line: string) => console.log(line));
  const attempts = numberFlag(flags, ATTEMPTS);
  const timeoutMs = numberFlag(flags, TIMEOUT);
  const slowMs = numberFlag(flags, SLOW);
  const { target, source, settings } = resolveTarget(flags, io.root ?? REPO_ROOT);
  const result = await checkHealth(target, {
    attempts,
    timeoutMs,
    slowMs,
    fetch: io.fetch,
    sleep: io.sleep,
  });
  const report: HealthReport = {
    url: target.display,
    urlSource: source,
    ...result,
    thresholds: { slowMs, timeoutMs, attempts },
    paging: settings.paging,
  };
  const code = report.state === "up" ? EXIT_OK : EXIT_PROBLEM;
  if (flags.json) out(JSON.stringify({ ok: code === EXIT_OK, exitCode: code, ...report }, null, 2));
  else out(renderHealth(report));
  return code;
}

if (require.main === module) void run(main, { usage: USAGE });
