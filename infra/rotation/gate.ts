/**
 * The health gate: the app must answer healthy N times in a row before
 * anything is revoked. One failure resets the count (a flapping app is not
 * healthy); the gate fails when the deadline passes first. Each attempt is
 * kept for the report and the audit log (status, latency, error — never the
 * URL's credentials).
 */
import {
  healthTarget,
  isSuccessStatus,
  probeOnce,
  type FetchLike,
  type ProbeResult,
} from "../checks/health";

export interface GateSettings {
  url: string;
  passes: number;
  intervalSeconds: number;
  timeoutSeconds: number;
  deadlineSeconds: number;
}

export interface GateResult {
  passed: boolean;
  /** The URL as printed (credentials masked). */
  url: string;
  attempts: (ProbeResult & { ok: boolean })[];
  /** Consecutive passes at the end. */
  streak: number;
}

export async function runGate(
  g: GateSettings,
  io: { fetch?: FetchLike; sleep?: (ms: number) => Promise<void>; now?: () => number } = {},
): Promise<GateResult> {
  const target = healthTarget(g.url);
  const sleep = io.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const now = io.now ?? Date.now;
  const deadline = now() + g.deadlineSeconds * 1000;
  const attempts: GateResult["attempts"] = [];
  let streak = 0;
  for (;;) {
    const probe = await probeOnce(target, g.timeoutSeconds * 1000, io.fetch);
    const ok = isSuccessStatus(probe.statusCode) && probe.bodyStatus !== "down";
    attempts.push({ ...probe, ok });
    streak = ok ? streak + 1 : 0;
    if (streak >= g.passes) return { passed: true, url: target.display, attempts, streak };
    if (now() + g.intervalSeconds * 1000 > deadline)
      return { passed: false, url: target.display, attempts, streak };
    await sleep(g.intervalSeconds * 1000);
  }
}

export function describeGate(r: GateResult, passes: number): string {
  const last = r.attempts[r.attempts.length - 1];
  const lastText = last
    ? last.statusCode !== undefined
      ? `HTTP ${last.statusCode}`
      : (last.error ?? "no answer")
    : "no attempt";
  return r.passed
    ? `${r.url} answered healthy ${r.streak} times in a row`
    : `${r.url} did not answer healthy ${passes} times in a row (${r.attempts.length} attempts, last: ${lastText})`;
}
