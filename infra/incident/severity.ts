/**
 * The suggested severity of an incident, by the runbook's definitions:
 *   P0 site down or data at risk; P1 major feature broken;
 *   P2 degraded or partial outage; P3 minor issue.
 * The worst problem decides. Where the stack says how urgent a kind of alert
 * is (`alerts.healthCheck.severity`, `alerts.backupSeverity`,
 * `alerts.budgetSeverity`), that is used, so the report and the pages agree.
 * Steps that could not run are listed beside the suggestion: the real
 * severity may be worse than what could be seen.
 */
import {
  DEFAULT_ESCALATION,
  escalationTable,
  SEVERITIES,
  type AlertsConfig,
  type Severity,
} from "../config/index";
import type { Finding } from "../lib/findings";
import { isFailing } from "../lib/findings-render";
import type { StepId, StepResult } from "./steps";

export interface AlertLevels {
  health: Severity;
  backup: Severity;
  budget: Severity;
}

export function alertLevels(alerts: AlertsConfig | undefined): AlertLevels {
  return {
    health: alerts?.healthCheck.severity ?? "P0",
    backup: alerts?.backupSeverity ?? "P1",
    budget: alerts?.budgetSeverity ?? "P2",
  };
}

interface Rated {
  level: Severity;
  why: string;
}

/** One problem's level, or undefined when it does not make an incident by itself. Pure. */
export function rateFinding(step: StepId, f: Finding, levels: AlertLevels): Rated | undefined {
  if (f.couldNotCheck || !isFailing(f, "low")) return undefined;
  const s = f.severity;
  const say = (level: Severity, what: string): Rated => ({ level, why: `${what}: ${f.message}` });
  switch (step) {
    case "health":
      if (f.id === "health")
        return s === "critical" ? say(levels.health, "site down") : say("P2", "degraded");
      if (f.id === "health-tls-certificate") {
        if (s === "critical") return say("P0", "site down for browsers");
        return f.message.includes("not trusted")
          ? say("P1", "browsers refuse the site")
          : say("P3", "minor");
      }
      return say("P2", "degraded");
    case "rls-smoke":
      if (s === "critical") return say("P0", "data at risk");
      return say("P1", "major feature broken");
    case "db-status":
      if (f.id === "rls" && s === "critical") return say("P0", "data at risk");
      if (f.id === "resolve-failed-migration") return say("P1", "major feature broken");
      break;
    case "db-performance":
      return say(
        s === "medium" || s === "low" ? "P3" : "P2",
        s === "medium" || s === "low" ? "minor" : "degraded",
      );
    case "cost":
      return s === "high" ? say(levels.budget, "over budget") : say("P3", "minor");
    case "backups":
      return s === "high"
        ? say(levels.backup, "data at risk if the database is lost")
        : say("P3", "minor");
    case "rotation":
      return s === "high" ? say("P1", "a credential is half-rotated") : say("P3", "minor");
    case "deployments":
      if (f.id === "serve-production") return say("P1", "major feature broken");
      if (f.id === "suspect-recent-deployment") return undefined;
      return say("P3", "minor");
  }
  if (s === "critical") return say("P1", "major feature broken");
  if (s === "high") return say("P2", "degraded");
  return say("P3", "minor");
}

export interface SeveritySuggestion {
  /** Undefined: no problem was found (in what could be checked). */
  severity?: Severity;
  /** The problems at that level, in words, most urgent first. */
  reasons: string[];
  /** Steps that could not run: the severity may be higher. */
  unchecked: string[];
  /** From the stack's escalation table (or the runbook's default). */
  respondWithinMinutes?: number;
  meaning?: string;
  /** ISO 8601: when a responder must be on it. */
  respondBy?: string;
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);

export function suggestSeverity(
  results: readonly StepResult[],
  alerts: AlertsConfig | undefined,
  now: number,
): SeveritySuggestion {
  const levels = alertLevels(alerts);
  const rated = results.flatMap((r) =>
    r.findings.map((f) => rateFinding(r.id, f, levels)).filter((x): x is Rated => x !== undefined),
  );
  const unchecked = results.filter((r) => r.status === "could-not-check").map((r) => r.title);
  if (rated.length === 0) return { reasons: [], unchecked };
  const severity = rated.reduce((a, b) => (rank(b.level) < rank(a.level) ? b : a)).level;
  const row = escalationTable(alerts).find((r) => r.severity === severity) ?? {
    severity,
    ...DEFAULT_ESCALATION[severity],
  };
  return {
    severity,
    reasons: rated.filter((r) => r.level === severity).map((r) => r.why),
    unchecked,
    respondWithinMinutes: row.respondWithinMinutes,
    meaning: row.meaning,
    respondBy: new Date(now + row.respondWithinMinutes * 60_000).toISOString(),
  };
}
