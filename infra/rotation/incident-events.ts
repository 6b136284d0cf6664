/**
 * The rotation area's answer to `incident`'s "recent rotation events": the
 * audit log's entries as events. An entry before the gate passed (created,
 * pushed, deployed) means a rotation is still under way; a failed entry is a
 * failed step. The chain is verified first: a log that does not verify is
 * not evidence of anything.
 */
import type { RotationEvent, RotationEventsSource } from "../incident/sources";
import { auditStore, verifyChain, type AuditEntry, type AuditLocation } from "./audit";

const UNDER_WAY = new Set(["created", "pushed", "deployed"]);

export function eventOf(e: AuditEntry): RotationEvent {
  const reason = e.detail?.error ?? e.detail?.reason;
  const failedStep = typeof e.detail?.step === "string" ? e.detail.step : undefined;
  return {
    at: e.at,
    credential: e.credential,
    step: e.event === "failed" ? (failedStep ?? "failed") : e.event,
    outcome: e.event === "failed" ? "failed" : UNDER_WAY.has(e.event) ? "in-progress" : "ok",
    ...(typeof reason === "string" ? { detail: reason } : {}),
  };
}

export function rotationEventsFrom(location: AuditLocation): RotationEventsSource {
  const store = auditStore(location);
  return {
    async recent(sinceMs) {
      const { entries, problems } = verifyChain(await store.lines());
      if (problems.length > 0)
        throw new Error(
          `the rotation audit log ${store.describe()} does not verify (line ${problems[0]!.line}: ${problems[0]!.message}); run npm run rotate:audit`,
        );
      return entries.filter((e) => Date.parse(e.at) >= sinceMs).map(eventOf);
    },
  };
}
