/**
 * The cores of `npm run rotate` and `npm run rotate:audit`: functions that
 * return a report and findings in the one shape (infra/lib/findings.ts); the
 * commands (scripts/rotate.ts, scripts/rotate-audit.ts) only read flags.
 *
 * `rotateStack` drives one `pulumi up` of the stack through the Automation
 * API with the request in RUNBOOKS_ROTATION_REQUEST, reporting each rotation
 * step as the engine runs it. When the health gate fails, it runs a second
 * `up` that points the failed credentials back to their last known-good
 * generation (nothing is revoked in either run), and says what to do.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { Finding } from "../lib/findings";
import { redactSecrets } from "../lib/redact";
import { auditStore, verifyChain, type AuditEntry, type AuditLocation } from "./audit";
import { REQUEST_ENV, type RotationRequest } from "./request";

export interface RotateOptions {
  stack: string;
  /** Credential names, or every credential. Empty: only what is due. */
  rotate: string[] | "all";
  emergency: boolean;
  rollback: string[];
  /** Declared credential names, to refuse unknown ones. */
  declared: string[];
}

export interface RotateStep {
  resource: string;
  op: string;
  status: "started" | "done" | "failed";
  message?: string;
}

export interface RotateReport {
  stack: string;
  request: RotationRequest;
  steps: RotateStep[];
  result: "succeeded" | "failed" | "rolled-back";
  findings: Finding[];
}

/**
 * What the command needs of the engine: one `up` of the stack, and how to hand
 * the provider processes an environment (the request travels in it).
 */
export interface StackHandle {
  up(onEvent: (event: EngineEvent) => void): Promise<unknown>;
  setEnv(key: string, value: string | undefined): void;
}

function rotationResource(urn: string): string | undefined {
  if (!urn.includes("runbooks-rotation")) return undefined;
  return urn.split("::").pop();
}

export function describeStep(s: RotateStep): string {
  const mark = s.status === "failed" ? "✗" : s.status === "done" ? "✓" : "…";
  return `${mark} ${s.op.padEnd(7)} ${s.resource}${s.message ? ` — ${s.message}` : ""}`;
}

async function up(
  h: StackHandle,
  request: RotationRequest,
  steps: RotateStep[],
  onStep: (s: RotateStep) => void,
) {
  h.setEnv(REQUEST_ENV, JSON.stringify(request));
  const onEvent = (ev: EngineEvent) => {
    const pre = ev.resourcePreEvent?.metadata;
    const out = ev.resOutputsEvent?.metadata;
    const failed = ev.resOpFailedEvent?.metadata;
    const meta = pre ?? out ?? failed;
    const name = meta && rotationResource(meta.urn);
    if (!meta || !name || meta.op === "same") return;
    const step: RotateStep = {
      resource: name,
      op: meta.op,
      status: pre ? "started" : out ? "done" : "failed",
    };
    steps.push(step);
    onStep(step);
  };
  try {
    return await h.up(onEvent);
  } finally {
    h.setEnv(REQUEST_ENV, undefined);
  }
}

export async function rotateStack(
  o: RotateOptions,
  h: StackHandle,
  onStep: (s: RotateStep) => void = () => {},
  now: () => number = Date.now,
): Promise<RotateReport> {
  const unknown = [...(o.rotate === "all" ? [] : o.rotate), ...o.rollback].filter(
    (n) => !o.declared.includes(n),
  );
  if (unknown.length > 0)
    throw new Error(
      `no rotated credential ${unknown.map((n) => `'${n}'`).join(", ")} in stack ${o.stack} (declared: ${o.declared.join(", ") || "none"}); see runbooks:rotation.credentials in stacks/Pulumi.${o.stack}.yaml`,
    );
  const request: RotationRequest = {
    id: `rotate-${now()}`,
    rotate: o.rotate,
    emergency: o.emergency,
    rollback: o.rollback,
  };
  const steps: RotateStep[] = [];
  const findings: Finding[] = [];
  try {
    await up(h, request, steps, onStep);
    return { stack: o.stack, request, steps, result: "succeeded", findings };
  } catch (error) {
    const message = redactSecrets((error as Error).message, []);
    const gateFailed = /health gate failed/.test(message);
    const rotated = o.rotate === "all" ? o.declared : o.rotate;
    if (gateFailed && rotated.length > 0 && o.rollback.length === 0) {
      const back: RotationRequest = {
        id: `rollback-${now()}`,
        rotate: [],
        emergency: false,
        rollback: rotated,
      };
      let rolledBack = true;
      try {
        await up(h, back, steps, onStep);
      } catch {
        rolledBack = false;
      }
      findings.push({
        id: "require-healthy-app-after-rotation",
        severity: "high",
        subject: `stack ${o.stack}: ${rotated.join(", ")}`,
        message: rolledBack
          ? "the app was not healthy with the new credentials; the sinks point back to the last known-good ones and both generations are still valid (nothing was revoked)"
          : "the app was not healthy with the new credentials and pointing the sinks back failed too; nothing was revoked, both generations are valid",
        fix: rolledBack
          ? `find why the app fails with the new credential (the deployment's logs, the health endpoint's body), then run npm run rotate -- -s ${o.stack} --secret ${rotated[0]}`
          : `run npm run rotate -- -s ${o.stack} --rollback ${rotated.join(",")} once the cause of the second failure is fixed`,
        details: [message.split("\n")[0]!],
      });
      return {
        stack: o.stack,
        request,
        steps,
        result: rolledBack ? "rolled-back" : "failed",
        findings,
      };
    }
    findings.push({
      id: "require-rotation-to-complete",
      severity: "high",
      subject: `stack ${o.stack}`,
      message:
        "the rotation stopped before it finished; nothing was revoked that the gate had not cleared",
      fix: `fix what the message says, then run npm run rotate -- -s ${o.stack} again (a re-run continues where this one stopped)`,
      details: message.split("\n").slice(0, 12),
    });
    return { stack: o.stack, request, steps, result: "failed", findings };
  }
}

export interface AuditReport {
  location: string;
  entries: AuditEntry[];
  findings: Finding[];
}

/** Verify the audit log's chain; a break is a critical finding (the log was altered). */
export async function auditRotation(location: AuditLocation): Promise<AuditReport> {
  const store = auditStore(location);
  const { entries, problems } = verifyChain(await store.lines());
  const findings: Finding[] = problems.map((p) => ({
    id: "require-intact-audit-chain",
    severity: "critical",
    subject: `${store.describe()} line ${p.line}`,
    message: `the audit log's hash chain is broken: ${p.message}`,
    fix: "treat the log as tampered with: compare it with the backup bucket's object versions (or your file backups) and find who changed it",
  }));
  return { location: store.describe(), entries, findings };
}

/** The history, one line per entry, oldest first (findings are rendered by the runner). */
export function renderAuditHistory(r: AuditReport): string[] {
  const lines = [
    `audit log ${r.location}: ${r.entries.length} entries, chain ${r.findings.length === 0 ? "intact" : "BROKEN"}`,
  ];
  for (const e of r.entries)
    lines.push(
      `${String(e.seq).padStart(4)} ${e.at} ${e.credential.padEnd(20)} ${e.event.padEnd(11)} ${e.generation ?? ""} ${e.detail ? JSON.stringify(e.detail).slice(0, 120) : ""}`.trimEnd(),
    );
  return lines;
}
