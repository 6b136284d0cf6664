/**
 * What `incident` needs from areas that live elsewhere: the latest backup's
 * age (the backups area) and recent rotation events (the rotation area's
 * audit log). Each is optional: until its area is part of this checkout,
 * or when the stack turns the feature off, the step is reported as "could
 * not check", never as healthy.
 */
import type { StackFileConfig } from "../config/stack-file";
import type { Finding } from "../lib/findings";
import { backupAgeFrom } from "../backups/incident-source";
import { formatDuration } from "../lib/format";
import { REPO_ROOT } from "../lib/paths";
import { auditLocationOf } from "../rotation/audit-location";
import { rotationEventsFrom } from "../rotation/incident-events";

export interface LatestBackup {
  /** ISO 8601: when the dump finished. */
  takenAt: string;
  /** Where it is (an S3 key). */
  location: string;
  sizeBytes?: number;
}

export interface BackupAgeSource {
  /** The newest complete backup, or undefined when there is none. */
  latest(): Promise<LatestBackup | undefined>;
}

export interface RotationEvent {
  /** ISO 8601. */
  at: string;
  /** The rotated credential's name (rotation.credentials[].name). */
  credential: string;
  /** The step of the rotation, e.g. `create`, `redeploy`, `revoke`. */
  step: string;
  outcome: "ok" | "failed" | "in-progress";
  detail?: string;
}

export interface RotationEventsSource {
  /** Events at or after `sinceMs`, oldest first. */
  recent(sinceMs: number): Promise<RotationEvent[]>;
}

export interface IncidentSources {
  backups?: BackupAgeSource;
  rotation?: RotationEventsSource;
}

/**
 * The sources this checkout provides for a stack. The backups and rotation
 * areas plug in here (when their `features` flag is on); nothing else should.
 */
export function incidentSourcesFor(
  stack: StackFileConfig | undefined,
  where: { env: NodeJS.ProcessEnv; root: string } = { env: process.env, root: REPO_ROOT },
): IncidentSources {
  const sources: IncidentSources = {};
  if (stack?.config.features.backups)
    sources.backups = backupAgeFrom(stack.context.stack, where.env, where.root);
  if (stack?.config.features.rotation) {
    const location = auditLocationOf(stack);
    if (location) sources.rotation = rotationEventsFrom(location);
  }
  return sources;
}

/** Why a source is missing, for the step's "could not check". */
export function missingSourceReason(
  area: "backups" | "rotation",
  stack: StackFileConfig | undefined,
): string {
  if (stack && !stack.config.features[area])
    return `${area === "backups" ? "backups are" : "rotation is"} turned off for stack ${stack.context.stack} (runbooks:features.${area})`;
  if (stack && area === "rotation" && !auditLocationOf(stack))
    return `the rotation audit log of stack ${stack.context.stack} is in the backup bucket the stack creates, whose name only its outputs know (npm run rotate:audit -- -s ${stack.context.stack} --bucket <name> reads it)`;
  return `the ${area} area is not available in this checkout`;
}

/** The latest backup against the stack's `backup.maxAgeHours`. Pure. */
export function backupAgeFindings(
  latest: LatestBackup | undefined,
  maxAgeHours: number,
  now: number,
): Finding[] {
  const id = "keep-backups-fresh";
  if (!latest)
    return [
      {
        id,
        severity: "high",
        subject: "backups",
        message: "no backup exists: if the database is lost now, its data is gone",
        fix: "take one now: npm run backup",
      },
    ];
  const ageHours = (now - Date.parse(latest.takenAt)) / 3_600_000;
  const age = formatDuration(ageHours * 3600);
  if (ageHours > maxAgeHours)
    return [
      {
        id,
        severity: "high",
        subject: latest.location,
        message: `the latest backup is ${age} old, past the ${maxAgeHours} h limit (runbooks:backup.maxAgeHours)`,
        fix: "take one now (npm run backup), then find out why the scheduled one stopped (npm run backup:status)",
      },
    ];
  return [
    {
      id,
      severity: "info",
      subject: latest.location,
      message: `the latest backup is ${age} old (limit ${maxAgeHours} h): ${latest.location}`,
      fix: "",
    },
  ];
}

/** A stuck rotation: in progress for longer than this. */
const STUCK_MS = 3_600_000;

/** Recent rotation events: a failed step or a stuck rotation is a problem. Pure. */
export function rotationFindings(
  events: readonly RotationEvent[],
  now: number,
  days: number,
): Finding[] {
  const id = "finish-rotation";
  const findings: Finding[] = [];
  for (const e of events.filter((x) => x.outcome === "failed"))
    findings.push({
      id,
      severity: "high",
      subject: e.credential,
      message: `rotation of ${e.credential} failed at step ${e.step} (${e.at})${e.detail ? `: ${e.detail}` : ""}`,
      fix: "the old credential stays valid until the rotation finishes: read the rotation audit log, then resume it (npm run rotate)",
    });
  const latestBy = new Map<string, RotationEvent>();
  for (const e of events) latestBy.set(e.credential, e);
  for (const e of latestBy.values())
    if (e.outcome === "in-progress" && now - Date.parse(e.at) > STUCK_MS)
      findings.push({
        id,
        severity: "medium",
        subject: e.credential,
        message: `rotation of ${e.credential} has been at step ${e.step} since ${e.at}`,
        fix: "resume it (npm run rotate); both credentials stay valid meanwhile",
      });
  if (findings.length === 0)
    findings.push({
      id,
      severity: "info",
      subject: "rotation",
      message: `${events.length} rotation event(s) in the last ${days} days, none failed or stuck`,
      fix: "",
    });
  return findings;
}
