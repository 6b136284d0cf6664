/**
 * FOCUS billing charges (`GET /v1/billing/charges`): the rows tests seed with
 * `addCharges()`, served as newline-delimited JSON, each row given the FOCUS
 * billing period it falls in (cycles start on the `billingCycleDay` option).
 */
import { gzipSync } from "node:zlib";
import type { FakeServer } from "../http";
import type { Ctx } from "./dialect";
import { badRequest } from "./errors";
import type { VercelStore } from "./store";
import type { FocusCharge } from "./types";

export function registerBillingRoutes(server: FakeServer<Ctx>, store: VercelStore) {
  const { charges, billingCycleDay } = store;

  // FOCUS v1.3 charges as newline-delimited JSON (REST reference, "List FOCUS
  // billing charges"): `from` inclusive, `to` exclusive, at most one year,
  // gzip when the client accepts it.
  server.on("GET", "/v1/billing/charges", (req, ctx) => {
    const from = req.query.get("from");
    const to = req.query.get("to");
    if (!from) return badRequest("missing required query parameter `from`.");
    if (!to) return badRequest("missing required query parameter `to`.");
    const fromMs = Date.parse(from);
    const toMs = Date.parse(to);
    if (Number.isNaN(fromMs)) return badRequest("`from` should be an ISO 8601 date-time string.");
    if (Number.isNaN(toMs)) return badRequest("`to` should be an ISO 8601 date-time string.");
    if (toMs <= fromMs) return badRequest("`to` must be after `from`.");
    if (toMs - fromMs > 366 * 86_400_000)
      return badRequest("the date range must not exceed 1 year.");
    const rows = (charges.get(ctx.accountId) ?? []).filter((c) => {
      const start = Date.parse(c.ChargePeriodStart);
      return start >= fromMs && start < toMs;
    });
    const lines = rows.map((c) => JSON.stringify(withBillingPeriod(c, billingCycleDay)));
    if (/\bgzip\b/.test(String(req.headers["accept-encoding"] ?? "")))
      return {
        status: 200,
        headers: { "content-type": "application/jsonl", "content-encoding": "gzip" },
        raw: gzipSync(lines.map((l) => `${l}\n`).join("")),
      };
    return { status: 200, lines };
  });
}

/** Adds FOCUS `BillingPeriodStart/End`: the cycle containing the charge, starting on `cycleDay`. */
function withBillingPeriod(c: FocusCharge, cycleDay: number): FocusCharge {
  if (c.BillingPeriodStart && c.BillingPeriodEnd) return c;
  const start = new Date(c.ChargePeriodStart);
  let y = start.getUTCFullYear();
  let m = start.getUTCMonth();
  if (start.getUTCDate() < cycleDay) m -= 1;
  if (m < 0) {
    m = 11;
    y -= 1;
  }
  const periodStart = new Date(Date.UTC(y, m, cycleDay));
  const periodEnd = new Date(Date.UTC(y, m + 1, cycleDay));
  return {
    ...c,
    BillingPeriodStart: periodStart.toISOString(),
    BillingPeriodEnd: periodEnd.toISOString(),
  };
}
