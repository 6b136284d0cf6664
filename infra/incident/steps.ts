/**
 * Running the incident's steps: all at once, each with its own time limit,
 * and each failure kept to its step. A step that cannot run, throws or runs
 * out of time is "could not check", with why; it never counts as healthy.
 */
import type { Finding } from "../lib/findings";
import { isFailing } from "../lib/findings-render";

export type StepId =
  | "health"
  | "db-status"
  | "rls-smoke"
  | "db-performance"
  | "cost"
  | "backups"
  | "rotation"
  | "deployments";

export interface IncidentStep {
  id: StepId;
  /** Shown in the report, e.g. "database status". */
  title: string;
  /** What to run next when this step finds a problem (the command with its stack). */
  next: string;
  run(): Promise<Finding[]>;
}

export type StepStatus = "ok" | "problem" | "could-not-check";

export interface StepResult {
  id: StepId;
  title: string;
  status: StepStatus;
  /** The step's findings, each tagged with the step in its subject. */
  findings: Finding[];
  durationMs: number;
  next: string;
}

/** A step that cannot run at all (no database, no token): reported, not run. */
export function unavailable(
  step: Omit<IncidentStep, "run">,
  why: string,
  fix: string,
): IncidentStep {
  return {
    ...step,
    run: async () => [
      {
        id: `incident-${step.id}`,
        severity: "medium",
        subject: step.title,
        message: `${step.title}: could not check — ${why}`,
        fix,
        couldNotCheck: true,
      },
    ],
  };
}

export function statusOf(findings: readonly Finding[]): StepStatus {
  if (findings.some((f) => !f.couldNotCheck && isFailing(f))) return "problem";
  if (findings.some((f) => f.couldNotCheck && isFailing(f))) return "could-not-check";
  return "ok";
}

function timeout(ms: number): Promise<never> {
  return new Promise((_, reject) => {
    const t = setTimeout(
      () => reject(new Error(`did not finish within ${Math.round(ms / 1000)} s`)),
      ms,
    );
    t.unref();
  });
}

export async function runSteps(
  steps: readonly IncidentStep[],
  options: { timeoutMs: number; now: () => number },
): Promise<StepResult[]> {
  return Promise.all(
    steps.map(async (step): Promise<StepResult> => {
      const started = options.now();
      let findings: Finding[];
      try {
        findings = await Promise.race([step.run(), timeout(options.timeoutMs)]);
      } catch (error) {
        findings = [
          {
            id: `incident-${step.id}`,
            severity: "high",
            subject: step.title,
            message: `${step.title}: could not check — ${(error as Error).message}`,
            fix: `run it on its own for details: ${step.next}`,
            couldNotCheck: true,
          },
        ];
      }
      return {
        id: step.id,
        title: step.title,
        status: statusOf(findings),
        findings,
        durationMs: options.now() - started,
        next: step.next,
      };
    }),
  );
}
