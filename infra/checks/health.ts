/**
 * "Is the app up?": probe the health endpoint a few times and say up,
 * degraded or down, with what each attempt saw.
 *
 * - up: the last attempt answered 2xx within the slow threshold, and no
 *   attempt before it failed or was slow.
 * - degraded: some attempt answered 2xx, but slowly, with the body
 *   reporting a problem, or only after other attempts failed.
 * - down: no attempt answered 2xx.
 *
 * Attempts stop at the first clean "up"; anything else is retried after a
 * short backoff, so one dropped packet does not page anyone as "down" — but
 * it is still reported as "degraded" rather than hidden.
 */
import { respondWithinText } from "../alerts/plan";
import {
  DEFAULT_ESCALATION,
  escalationTable,
  type AlertsConfig,
  type Severity,
} from "../config/index";
import type { Finding } from "../lib/findings";
import { redactSecrets } from "../lib/redact";
import { backoffMs, sleep as wait, type BackoffOptions } from "../lib/retry";
import { latencyBudgetFindings, latencyStats, renderLatency, type LatencyStats } from "./latency";
import { certificateFindings, type CertificateInfo } from "./tls-certificate";

export type HealthState = "up" | "degraded" | "down";

/** Where to probe: the URL without credentials, and what may be printed. */
export interface HealthTarget {
  /** The URL fetched (basic-auth credentials moved into a header). */
  url: string;
  /** The URL as printed: credentials replaced by `***`. */
  display: string;
  /** Request headers (Authorization for basic auth). */
  headers: Record<string, string>;
  /** Values that must never appear in output (the password, the raw URL). */
  secrets: string[];
}

/** What one HTTP request saw. */
export interface ProbeResult {
  /** HTTP status, when a response arrived. */
  statusCode?: number;
  /** Milliseconds from sending the request to reading the whole body (or failing). */
  latencyMs: number;
  /** The body's `status` field, when the body is a JSON object with a string `status`. */
  bodyStatus?: string;
  /** Why no response arrived (timeout, refused, DNS, TLS). */
  error?: string;
}

export interface AttemptReport extends ProbeResult {
  attempt: number;
  state: HealthState;
  /** Why this attempt got its state, in words. */
  reason: string;
}

export interface HealthThresholds {
  /** A 2xx slower than this (ms) counts as degraded. */
  slowMs: number;
}

/** Body `status` values with which an app says it is not fully healthy, though it answered 2xx. */
const UNHEALTHY_BODY_STATUSES = new Set([
  "degraded",
  "down",
  "error",
  "fail",
  "failed",
  "failing",
  "unhealthy",
  "critical",
  "warn",
  "warning",
]);

export function isSuccessStatus(code: number | undefined): boolean {
  return code !== undefined && code >= 200 && code < 300;
}

/** One attempt's state and the reason for it. Pure. */
export function classifyAttempt(
  probe: ProbeResult,
  thresholds: HealthThresholds,
): { state: HealthState; reason: string } {
  const latency = `${Math.round(probe.latencyMs)} ms`;
  if (probe.statusCode === undefined)
    return { state: "down", reason: `${probe.error ?? "no response"} after ${latency}` };
  const body = probe.bodyStatus !== undefined ? `, body status "${probe.bodyStatus}"` : "";
  if (!isSuccessStatus(probe.statusCode))
    return { state: "down", reason: `HTTP ${probe.statusCode} in ${latency}${body}` };
  if (probe.bodyStatus !== undefined && UNHEALTHY_BODY_STATUSES.has(probe.bodyStatus.toLowerCase()))
    return {
      state: "degraded",
      reason: `HTTP ${probe.statusCode} in ${latency}, but the app reports "${probe.bodyStatus}"`,
    };
  if (probe.latencyMs > thresholds.slowMs)
    return {
      state: "degraded",
      reason: `HTTP ${probe.statusCode} in ${latency}, slower than ${thresholds.slowMs} ms`,
    };
  return { state: "up", reason: `HTTP ${probe.statusCode} in ${latency}${body}` };
}

/** The overall state of a run of attempts. Pure. */
export function classifyOverall(attempts: readonly AttemptReport[]): {
  state: HealthState;
  reason: string;
} {
  const last = attempts[attempts.length - 1];
  if (!last) return { state: "down", reason: "no attempt was made" };
  const answered = attempts.filter((a) => isSuccessStatus(a.statusCode));
  if (answered.length === 0)
    return {
      state: "down",
      reason: `no 2xx in ${attempts.length} attempt${attempts.length === 1 ? "" : "s"} (last: ${last.reason})`,
    };
  const failed = attempts.filter((a) => a.state === "down").length;
  const slowOrUnwell = attempts.filter((a) => a.state === "degraded");
  if (failed === 0 && slowOrUnwell.length === 0) return { state: "up", reason: last.reason };
  const parts: string[] = [];
  if (failed > 0) parts.push(`${failed} of ${attempts.length} attempts failed`);
  if (slowOrUnwell.length > 0) parts.push(slowOrUnwell[slowOrUnwell.length - 1]!.reason);
  return { state: "degraded", reason: parts.join("; ") };
}

/**
 * Parse and check the URL to probe. Credentials in it (https://user:pass@…)
 * become a basic-auth header: fetch refuses URLs that carry them, and the
 * printed form must not show them. Throws with a message that names the
 * problem but never the credential.
 */
export function healthTarget(raw: string): HealthTarget {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new Error(
      "the health-check URL is not an absolute URL; expected something like https://app.example.com/api/health",
    );
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:")
    throw new Error(
      `the health-check URL must use http:// or https://, not ${parsed.protocol.replace(/:$/, "")}://`,
    );
  const secrets = [raw];
  const headers: Record<string, string> = {};
  if (parsed.username || parsed.password) {
    const user = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    secrets.push(password, parsed.password, headers.authorization.slice("Basic ".length));
    parsed.username = "";
    parsed.password = "";
  }
  const url = parsed.toString();
  const shown = new URL(url);
  if (headers.authorization) {
    shown.username = "***";
    shown.password = "***";
  }
  // Some health endpoints take a token in the query string; print its name, not its value.
  for (const [key, value] of parsed.searchParams) {
    if (SECRET_PARAM.test(key) && value) {
      secrets.push(value);
      shown.searchParams.set(key, "***");
    }
  }
  return {
    url,
    display: shown.toString().replace(/%2A%2A%2A/g, "***"),
    headers,
    secrets: secrets.filter((s) => s.length > 0),
  };
}

const SECRET_PARAM = /(token|secret|key|password|passwd|auth|signature|sig|code)/i;

/** Node's fetch wraps the socket error in `cause`; name the common ones in words. */
export function describeFetchError(error: unknown, timeoutMs: number, aborted: boolean): string {
  if (aborted) return `timed out (limit ${timeoutMs} ms)`;
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused (nothing listening)";
    case "ECONNRESET":
      return "connection reset";
    case "ENOTFOUND":
      return "host not found (DNS)";
    case "EAI_AGAIN":
      return "DNS lookup failed temporarily";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    case "UND_ERR_SOCKET":
      return "the server closed the connection";
  }
  if (code && /CERT|SSL|TLS/.test(code)) return `TLS error (${code})`;
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/** A body is read up to this many bytes: enough for a health JSON, bounded for a runaway page. */
const MAX_BODY_BYTES = 64 * 1024;

/** The `status` field of a JSON body, if there is one. */
export function bodyStatusOf(body: string): string | undefined {
  const trimmed = body.trim();
  if (!trimmed.startsWith("{")) return undefined;
  try {
    const value = (JSON.parse(trimmed) as { status?: unknown }).status;
    return typeof value === "string" ? value.slice(0, 60) : undefined;
  } catch {
    return undefined;
  }
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** One request with a hard timeout over the whole exchange, body included. */
export async function probeOnce(
  target: HealthTarget,
  timeoutMs: number,
  fetchImpl: FetchLike = fetch,
): Promise<ProbeResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const started = performance.now();
  try {
    const response = await fetchImpl(target.url, {
      method: "GET",
      headers: { accept: "application/json", "cache-control": "no-cache", ...target.headers },
      signal: controller.signal,
    });
    const body = await readBounded(response);
    return {
      statusCode: response.status,
      latencyMs: performance.now() - started,
      bodyStatus: bodyStatusOf(body),
    };
  } catch (error) {
    const message = describeFetchError(error, timeoutMs, controller.signal.aborted);
    return {
      latencyMs: performance.now() - started,
      error: redactSecrets(message, target.secrets),
    };
  } finally {
    clearTimeout(timer);
  }
}

async function readBounded(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return Buffer.concat(chunks).toString("utf8");
}

export interface HealthCheckOptions extends HealthThresholds {
  /** Requests at most (stops early at the first clean "up"). */
  attempts: number;
  /**
   * Requests at least, for latency statistics: probing goes on past a clean
   * "up" until this many were made. Default 1.
   */
  samples?: number;
  /** Per-request timeout in ms. */
  timeoutMs: number;
  /** Wait before each retry; defaults to HEALTH_BACKOFF. */
  backoff?: BackoffOptions;
  fetch?: FetchLike;
  sleep?: (ms: number) => Promise<void>;
}

/** 250 ms doubling, at most 2 s: three attempts take under a second when the app is down. */
export const HEALTH_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 2_000 };

export interface HealthResult {
  state: HealthState;
  reason: string;
  attempts: AttemptReport[];
  /** Over the attempts that got a response; absent when none did. */
  latency?: LatencyStats;
}

/**
 * Probe until a clean "up" (after at least `samples` requests) or the
 * attempts run out, then classify the run. Only a failure is followed by a
 * backoff: samples after a clean answer go out at once.
 */
export async function checkHealth(
  target: HealthTarget,
  options: HealthCheckOptions,
): Promise<HealthResult> {
  const sleep = options.sleep ?? wait;
  const samples = options.samples ?? 1;
  const attempts: AttemptReport[] = [];
  let failures = 0;
  for (let attempt = 1; attempt <= Math.max(options.attempts, samples); attempt++) {
    const previous = attempts[attempts.length - 1];
    if (previous && previous.state !== "up")
      await sleep(backoffMs(failures, options.backoff ?? HEALTH_BACKOFF));
    const probe = await probeOnce(target, options.timeoutMs, options.fetch);
    const { state, reason } = classifyAttempt(probe, options);
    attempts.push({ attempt, ...probe, latencyMs: Math.round(probe.latencyMs), state, reason });
    if (state !== "up") failures++;
    if (state === "up" && attempt >= samples) break;
  }
  const latency = latencyStats(
    attempts.filter((a) => a.statusCode !== undefined).map((a) => a.latencyMs),
  );
  return { attempts, ...classifyOverall(attempts), ...(latency ? { latency } : {}) };
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

/** Who is paged for the health alert, from the stack's alerts config (or the defaults). */
export interface HealthPaging {
  severity: string;
  respondWithinMinutes: number;
  meaning: string;
  /** Where the severity came from, e.g. `alerts.healthCheck.severity in stacks/Pulumi.production.yaml`. */
  source: string;
}

export interface HealthReport extends HealthResult {
  /** The URL probed, credentials redacted. */
  url: string;
  /** Where the URL came from (`--url`, the stack file, the local services). */
  urlSource: string;
  thresholds: {
    slowMs: number;
    timeoutMs: number;
    attempts: number;
    samples?: number;
    /** p95 must stay within this, when a budget applies. */
    latencyBudgetMs?: number;
    latencyBudgetSource?: string;
    /** A certificate expiring sooner than this many days is a problem. */
    certificateWarnDays?: number;
  };
  paging: HealthPaging;
  /** https only: the certificate the endpoint serves, or why it could not be read. */
  certificate?: CertificateInfo | { error: string };
}

/** Where to look first, from what the last attempt saw. */
function nextStep(last: AttemptReport | undefined): string {
  if (last?.statusCode === undefined)
    return "Next: nothing answered — check the hosting (the latest deployment's status) and DNS.";
  const body = last.bodyStatus !== undefined ? ` ("${last.bodyStatus}")` : "";
  return `Next: the app answers HTTP ${last.statusCode}${body} — check its logs and its database (npm run db:status).`;
}

/** The lines above the finding: what was probed, one line per attempt, the latency and the certificate. */
export function renderHealthHeader(report: HealthReport): string[] {
  const lines = [`Health check: ${report.url}  (${report.urlSource})`];
  for (const a of report.attempts)
    lines.push(`  attempt ${a.attempt}  ${a.state.toUpperCase().padEnd(8)}  ${a.reason}`);
  if (report.latency && report.attempts.length > 1)
    lines.push(`  ${renderLatency(report.latency)}`);
  const cert = report.certificate;
  if (cert && !("error" in cert))
    lines.push(
      `  certificate ${cert.subject}: ${cert.daysLeft} days left (until ${cert.validTo.slice(0, 10)})`,
    );
  return lines;
}

/**
 * The verdict, then the latency budget and the certificate when they apply.
 * Down is critical whatever the paging severity (who is paged and how soon
 * is in its details), degraded is medium, up is info.
 */
export function healthFindings(report: HealthReport): Finding[] {
  const t = report.thresholds;
  const budget =
    t.latencyBudgetMs !== undefined
      ? { ms: t.latencyBudgetMs, source: t.latencyBudgetSource ?? "--budget" }
      : undefined;
  return [
    ...stateFindings(report),
    ...latencyBudgetFindings(report.latency, budget, report.url),
    ...(report.certificate
      ? certificateFindings(report.certificate, t.certificateWarnDays ?? 14, report.url)
      : []),
  ];
}

function stateFindings(report: HealthReport): Finding[] {
  const base = {
    id: "health",
    subject: report.url,
    message: `${report.state.toUpperCase()} — ${report.reason}`,
  };
  if (report.state === "up") return [{ ...base, severity: "info", fix: "" }];
  if (report.state === "degraded")
    return [
      {
        ...base,
        severity: "medium",
        fix:
          "degraded, not down: the app answers, so this is not the site-down alert yet; " +
          "look at slow queries (npm run db:performance) and the latest deployment.",
      },
    ];
  const p = report.paging;
  return [
    {
      ...base,
      severity: "critical",
      details: [
        `Severity ${p.severity} (${p.source}): respond ${respondWithinText(p.respondWithinMinutes)}. ${p.meaning}`,
      ],
      fix: nextStep(report.attempts[report.attempts.length - 1]),
    },
  ];
}

// ---------------------------------------------------------------------------
// Paging settings from a stack file
// ---------------------------------------------------------------------------

export interface StackHealthSettings {
  /** alerts.healthCheck.url, when the stack sets it. */
  url?: string;
  paging: HealthPaging;
}

/**
 * The health URL and the paging severity of a stack, from its validated
 * `alerts` settings (none: the defaults, and no URL).
 */
export function stackHealthSettings(
  alerts: Pick<AlertsConfig, "healthCheck" | "escalation"> | undefined,
  stackFile: string | undefined,
): StackHealthSettings {
  if (alerts === undefined || stackFile === undefined) return { paging: defaultPaging() };
  const severity = alerts.healthCheck.severity;
  const row = escalationTable(alerts).find((r) => r.severity === severity)!;
  return {
    url: alerts.healthCheck.url,
    paging: {
      severity,
      respondWithinMinutes: row.respondWithinMinutes,
      meaning: row.meaning,
      source: `alerts.healthCheck.severity in ${stackFile}`,
    },
  };
}

/** P0 with the runbook's default escalation: the health alert's severity when no stack says otherwise. */
export function defaultPaging(): HealthPaging {
  const severity: Severity = "P0";
  return {
    severity,
    ...DEFAULT_ESCALATION[severity],
    source: "default for the health alert; pass --stack <name> for the stack's own",
  };
}
