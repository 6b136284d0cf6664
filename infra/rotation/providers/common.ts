/**
 * What the rotation providers share: the engine's unknown marker, failing a
 * step while still recording state (so a queue of credentials to revoke or a
 * credential already created is never forgotten), and audit appends.
 */
import { auditStore, type AuditFields, type AuditLocation } from "../audit";

/** The engine's placeholder for a value not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(value: unknown): boolean {
  return value === UNKNOWN;
}

/**
 * An error that also carries the resource's new outputs: the engine records
 * them (an "initialization failure") and still fails the step, so what was
 * done is in state and the next `up` retries what was not.
 */
export class StepFailedWithState extends Error {
  readonly reasons: string[];
  constructor(
    message: string,
    readonly id: string,
    readonly properties: Record<string, unknown>,
  ) {
    super(message);
    this.name = "StepFailedWithState";
    this.reasons = [message];
  }
}

export async function audit(location: AuditLocation, fields: AuditFields): Promise<void> {
  await auditStore(location).append(fields);
}

/**
 * The crash-test seam: with RUNBOOKS_ROTATION_PAUSE_AFTER=<step>, the provider
 * stops after that step (having written it to RUNBOOKS_ROTATION_PAUSE_MARKER)
 * so a test can kill the engine there. It exits once the engine is gone,
 * rather than linger. Inert unless the variable is set.
 */
export async function pauseAfter(step: string): Promise<void> {
  const wanted = process.env.RUNBOOKS_ROTATION_PAUSE_AFTER;
  if (!wanted || !wanted.split(",").includes(step)) return;
  const marker = process.env.RUNBOOKS_ROTATION_PAUSE_MARKER;
  if (marker) (require("node:fs") as typeof import("node:fs")).appendFileSync(marker, `${step}\n`);
  const parent = process.ppid;
  await new Promise<never>(() => {
    setInterval(() => {
      try {
        process.kill(parent, 0);
      } catch {
        process.exit(1);
      }
      if (process.ppid !== parent) process.exit(1);
    }, 200);
  });
}

/**
 * Outputs as the engine can take them: the wire format (a protobuf Struct)
 * has no `undefined`, so optional fields that are absent must be left out.
 */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
