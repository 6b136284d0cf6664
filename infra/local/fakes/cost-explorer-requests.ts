/**
 * Cost Explorer's request members as the fake reads them: a time period of
 * YYYY-MM-DD dates split into DAILY or MONTHLY buckets, and a filter on the
 * SERVICE dimension with And / Or / Not. A bad member is an error message in
 * AWS's words.
 */
import { missing, validation } from "./aws-json";
import type { FakeResponse } from "./http";

export const DAY_MS = 86_400_000;

export interface Period {
  start: number;
  end: number;
}

export const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function parseDate(value: unknown, field: string): number | string {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value))
    return `Invalid date format for ${field}: expected YYYY-MM-DD, got ${JSON.stringify(value ?? null)}.`;
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (Number.isNaN(ms) || ymd(ms) !== value) return `Invalid date for ${field}: ${value}.`;
  return ms;
}

export function parseTimePeriod(raw: unknown): Period | FakeResponse {
  if (typeof raw !== "object" || raw === null) return missing("timePeriod");
  const { Start, End } = raw as Record<string, unknown>;
  if (Start === undefined) return missing("timePeriod.start");
  if (End === undefined) return missing("timePeriod.end");
  const start = parseDate(Start, "Start");
  if (typeof start === "string") return validation(start);
  const end = parseDate(End, "End");
  if (typeof end === "string") return validation(end);
  if (start >= end) return validation("Start date (and hour) should be before end date (and hour)");
  return { start, end };
}

/** Splits a period into DAILY days or MONTHLY calendar-month pieces. */
export function buckets(p: Period, granularity: "DAILY" | "MONTHLY"): Period[] {
  const out: Period[] = [];
  let t = p.start;
  while (t < p.end) {
    let next: number;
    if (granularity === "DAILY") next = t + DAY_MS;
    else {
      const d = new Date(t);
      next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
    out.push({ start: t, end: Math.min(next, p.end) });
    t = next;
  }
  return out;
}

export type Filter = (service: string) => boolean;

/** Supports Dimensions on SERVICE with And / Or / Not; anything else is refused by name. */
export function parseFilter(raw: unknown): Filter | string {
  if (typeof raw !== "object" || raw === null) return "Filter must be an Expression object.";
  const e = raw as Record<string, unknown>;
  const keys = Object.keys(e);
  if (keys.length !== 1)
    return "Filter expression must have exactly one of And, Or, Not, Dimensions, Tags, CostCategories.";
  if (Array.isArray(e.And) || Array.isArray(e.Or)) {
    const parts = ((e.And ?? e.Or) as unknown[]).map(parseFilter);
    const bad = parts.find((p) => typeof p === "string");
    if (bad) return bad;
    const fns = parts as Filter[];
    if (fns.length < 2) return "And and Or expressions need at least two operands.";
    return e.And ? (s) => fns.every((f) => f(s)) : (s) => fns.some((f) => f(s));
  }
  if (e.Not !== undefined) {
    const inner = parseFilter(e.Not);
    return typeof inner === "string" ? inner : (s) => !inner(s);
  }
  if (typeof e.Dimensions === "object" && e.Dimensions !== null) {
    const { Key, Values } = e.Dimensions as Record<string, unknown>;
    if (Key !== "SERVICE")
      return `This Cost Explorer stand-in filters on the SERVICE dimension only, not ${String(Key)}.`;
    if (!Array.isArray(Values) || Values.some((v) => typeof v !== "string"))
      return "Dimensions.Values must be a list of strings.";
    const set = new Set(Values as string[]);
    return (s) => set.has(s);
  }
  return `This Cost Explorer stand-in supports Dimensions (SERVICE), And, Or and Not filters, not ${keys[0]}.`;
}
