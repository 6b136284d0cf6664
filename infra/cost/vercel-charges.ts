/**
 * Vercel spend for the team's current billing cycle, from the FOCUS v1.3
 * charges (`GET /v1/billing/charges`, JSON lines; the SDK has no method for
 * it). A Vercel billing cycle need not start on the 1st, so rows are grouped
 * by their own `BillingPeriodStart`/`BillingPeriodEnd`, never by calendar
 * month.
 *
 * The end of a cycle is not an overspend, nor a sign that spend stopped:
 * rows of the cycle that just closed (its last usage, credits, adjustments
 * posted late) keep that cycle's BillingPeriod and are left out of the
 * current one; the new cycle starts near zero because it is new. Vercel's
 * spend webhook sends an end-of-cycle event for the same moment, which
 * handlers have been known to read as "budget reached".
 */
import { retry } from "../lib/retry";
import type { VercelAccess } from "../vercel/api-access";
import { describeVercelError } from "../vercel/api-access";
import { DAY_MS, startOfDay, topOf, ymd, type ProviderSpend } from "./spend";

/** The FOCUS columns read here; rows carry many more. */
export interface FocusRow {
  BilledCost: number;
  BillingCurrency: string;
  BillingPeriodStart?: string;
  BillingPeriodEnd?: string;
  ChargeCategory?: string;
  ChargePeriodStart: string;
  ServiceName?: string;
  Tags?: Record<string, string> | null;
  ResourceName?: string | null;
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export class VercelApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "VercelApiError";
  }
}

/** Cycles are at most a month; 40 days back always reaches the current one's start. */
const LOOKBACK_DAYS = 40;

/** The charges in [from, to), retried on 429 and 5xx with the server's retry-after. */
export async function fetchCharges(
  access: VercelAccess,
  range: { from: number; to: number },
  options: { fetch?: FetchLike; sleep?: (ms: number) => Promise<void> } = {},
): Promise<FocusRow[]> {
  const fetchImpl = options.fetch ?? fetch;
  const query = new URLSearchParams({
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
  });
  if (access.teamId) query.set("teamId", access.teamId);
  const url = `${access.serverURL}/v1/billing/charges?${query}`;
  const text = await retry(
    async () => {
      const res = await fetchImpl(url, {
        headers: { authorization: `Bearer ${access.token}`, accept: "application/jsonl" },
      });
      const body = await res.text();
      if (!res.ok)
        throw new VercelApiError(
          `Vercel billing charges: ${describeVercelError(res.status, body)}`,
          res.status,
        );
      return body;
    },
    {
      attempts: 3,
      baseMs: 1_000,
      maxMs: 5_000,
      isRetryable: (e) =>
        e instanceof VercelApiError && (e.status === 429 || (e.status ?? 0) >= 500),
      sleep: options.sleep,
    },
  );
  const rows: FocusRow[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      rows.push(JSON.parse(line) as FocusRow);
    } catch {
      throw new VercelApiError(`Vercel billing charges: line ${i + 1} is not JSON`);
    }
  });
  return rows;
}

/** A charge's project: a Tags key that names one (ProjectName, project, …), else the resource. */
export function projectOf(row: FocusRow): string {
  const tags = row.Tags ?? {};
  for (const key of ["ProjectName", "projectName", "project_name", "project", "Project"])
    if (typeof tags[key] === "string" && tags[key]) return tags[key];
  const any = Object.entries(tags).find(([k]) => /project/i.test(k) && !/id$/i.test(k));
  return any?.[1] || row.ResourceName || "(no project)";
}

/**
 * The cycle containing `now` and the charges booked to it. Pure. When the
 * cycle has no charges yet, its bounds follow from the latest closed cycle
 * (same day of the month), or the calendar month when there is none.
 */
export function currentCycle(rows: readonly FocusRow[], now: number, top: number): ProviderSpend {
  const cycles = new Map<string, { start: string; end: string; rows: FocusRow[] }>();
  for (const r of rows) {
    const start = r.BillingPeriodStart ?? r.ChargePeriodStart;
    const end = r.BillingPeriodEnd ?? "";
    const c = cycles.get(start) ?? { start, end, rows: [] };
    c.rows.push(r);
    cycles.set(start, c);
  }
  const all = [...cycles.values()].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  let current = all.find((c) => Date.parse(c.start) <= now && now < Date.parse(c.end));
  const closed = all.filter((c) => c.end !== "" && Date.parse(c.end) <= now);
  const notes: string[] = [];
  if (!current) {
    const last = closed[closed.length - 1];
    const d = new Date(startOfDay(now));
    const start = last ? Date.parse(last.end) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    const s = new Date(start);
    const end = Date.UTC(s.getUTCFullYear(), s.getUTCMonth() + 1, s.getUTCDate());
    current = { start: new Date(start).toISOString(), end: new Date(end).toISOString(), rows: [] };
    notes.push("no charges in this billing cycle yet");
  }
  const previous = closed[closed.length - 1];
  if (previous && previous.rows.length > 0) {
    const total = previous.rows.reduce((sum, r) => sum + r.BilledCost, 0);
    notes.push(
      `the previous cycle (${ymd(Date.parse(previous.start))} to ${ymd(Date.parse(previous.end))}) closed at ${total.toFixed(2)}; its late rows are not counted in this cycle`,
    );
  }
  const services = new Map<string, number>();
  const projects = new Map<string, number>();
  let toDate = 0;
  let currency = "USD";
  for (const r of current.rows) {
    toDate += r.BilledCost;
    currency = r.BillingCurrency || currency;
    const service = r.ServiceName ?? "(no service)";
    services.set(service, (services.get(service) ?? 0) + r.BilledCost);
    const project = projectOf(r);
    projects.set(project, (projects.get(project) ?? 0) + r.BilledCost);
  }
  const start = Date.parse(current.start);
  const end = Date.parse(current.end);
  // Linear over the cycle, counting at least one day elapsed so an early spike is not multiplied by 30.
  const elapsedDays = Math.max(1, (now - start) / DAY_MS);
  const totalDays = Math.max(elapsedDays, (end - start) / DAY_MS);
  const forecast = (toDate / elapsedDays) * totalDays;
  return {
    provider: "vercel",
    period: { start: ymd(start), end: ymd(end) },
    currency,
    toDate,
    forecast,
    forecastBasis: `this cycle's spend per day so far, over all ${Math.round(totalDays)} days of the cycle (Vercel publishes no forecast)`,
    topServices: topOf(services, top),
    topProjects: topOf(projects, top),
    notes,
  };
}

export async function readVercelSpend(
  access: VercelAccess,
  options: { now: number; top: number; fetch?: FetchLike; sleep?: (ms: number) => Promise<void> },
): Promise<ProviderSpend> {
  const to = startOfDay(options.now) + DAY_MS;
  const rows = await fetchCharges(
    access,
    { from: to - LOOKBACK_DAYS * DAY_MS, to },
    { fetch: options.fetch, sleep: options.sleep },
  );
  return currentCycle(rows, options.now, options.top);
}
