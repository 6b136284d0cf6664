/**
 * Recent production deployments of the project and which one serves
 * production now: the runbook's `vercel ls`, and the "recent deployments"
 * step of an incident (a deploy shortly before the trouble started is the
 * usual suspect).
 */
import type { Vercel } from "@vercel/sdk";
import type { Finding } from "../lib/findings";
import { formatDuration } from "../lib/format";
import type { VercelAccess } from "../vercel/api-access";
import { describeSdkError } from "./vercel-client";

export interface DeploymentSummary {
  id: string;
  url: string;
  /** ISO 8601. */
  createdAt: string;
  readyState: string;
  /** Serves production now. */
  current: boolean;
  /** Vercel would accept it as a rollback target (an earlier promoted production build). */
  rollbackCandidate: boolean;
  /** The commit message or branch, when the deployment came from git. */
  label?: string;
}

export interface ProductionDeployments {
  project: { id: string; name: string };
  /** The deployment serving production, when there is one. */
  currentId?: string;
  /** A rollback is in effect: new production builds are not promoted until one is. */
  rolledBack: boolean;
  /** Newest first. */
  deployments: DeploymentSummary[];
}

/** The project could not be named or read: bad input, not "no deployments". */
export class DeploymentsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeploymentsError";
  }
}

export async function listProductionDeployments(
  vercel: Vercel,
  access: VercelAccess,
  limit: number,
): Promise<ProductionDeployments> {
  if (!access.project)
    throw new DeploymentsError(
      "no Vercel project to look at: pass --project <id or name>, or --stack <name> whose runbooks:vercel.projectName is set",
    );
  const team = access.teamId ? { teamId: access.teamId } : {};
  let project;
  try {
    project = await vercel.projects.getProject({ idOrName: access.project, ...team });
  } catch (error) {
    throw new DeploymentsError(describeSdkError(error, `Vercel project ${access.project}`));
  }
  let list;
  try {
    list = await vercel.deployments.getDeployments({
      projectId: project.id,
      target: "production",
      limit,
      ...team,
    });
  } catch (error) {
    throw new Error(describeSdkError(error, `deployments of ${project.name}`));
  }
  const currentId = project.targets?.production?.id;
  return {
    project: { id: project.id, name: project.name },
    ...(currentId ? { currentId } : {}),
    rolledBack: project.autoAssignCustomDomains === false,
    deployments: list.deployments.map((d) => {
      const meta = (d.meta ?? {}) as Record<string, string>;
      const label = meta.githubCommitMessage?.split("\n")[0] ?? meta.githubCommitRef;
      return {
        id: d.uid,
        url: d.url,
        createdAt: new Date(d.createdAt ?? d.created).toISOString(),
        readyState: String(d.readyState ?? d.state ?? "UNKNOWN"),
        current: d.uid === currentId,
        rollbackCandidate: d.isRollbackCandidate === true,
        ...(label ? { label } : {}),
      };
    }),
  };
}

export function renderDeployments(list: ProductionDeployments): string[] {
  const lines = [`Production deployments of ${list.project.name} (newest first):`];
  for (const d of list.deployments)
    lines.push(
      `  ${d.current ? "*" : " "} ${d.id.padEnd(28)} ${d.readyState.padEnd(9)} ${d.createdAt.slice(0, 16).replace("T", " ")}  ${d.url}${d.current ? "  (serving production)" : ""}${d.label ? `  ${d.label}` : ""}`,
    );
  if (list.deployments.length === 0) lines.push("  (none)");
  return lines;
}

/** A deployment younger than this is "recent": worth suspecting when trouble just started. */
export const RECENT_MS = 24 * 3_600_000;

/**
 * What the deployment history says during an incident: production recently
 * changed (low: a suspect, with the rollback command), the newest build
 * failed (medium: production still serves the previous one), a rollback is
 * in effect (low: new builds are not promoted), or nothing serves (high).
 */
export function deploymentFindings(
  list: ProductionDeployments,
  now: number,
  stack?: string,
): Finding[] {
  const subject = `Vercel project ${list.project.name}`;
  const rollback = `npm run rollback -- ${stack ? `--stack ${stack}` : "--project <id>"}`;
  const findings: Finding[] = [];
  const current = list.deployments.find((d) => d.current);
  if (!list.currentId)
    findings.push({
      id: "serve-production",
      severity: "high",
      subject,
      message: "no deployment serves production",
      fix: `promote a READY deployment (vercel promote <url>), or roll back: ${rollback} --to <id>`,
    });
  const newest = list.deployments[0];
  if (newest && ["ERROR", "CANCELED", "BLOCKED"].includes(newest.readyState))
    findings.push({
      id: "fix-failed-deployment",
      severity: "medium",
      subject: newest.id,
      message: `the newest production deployment ${newest.id} ended ${newest.readyState}; production still serves ${list.currentId ?? "nothing"}`,
      fix: "read its build log (vercel inspect <url> --logs); a CANCELED same-commit redeploy can be the project's Ignored Build Step",
    });
  if (list.rolledBack)
    findings.push({
      id: "promote-after-rollback",
      severity: "low",
      subject,
      message: "production is rolled back: new production deployments are built but not promoted",
      fix: "once the fix is deployed, promote it: vercel promote <url> (or the Promote button)",
    });
  if (current) {
    const age = now - Date.parse(current.createdAt);
    findings.push(
      age < RECENT_MS
        ? {
            id: "suspect-recent-deployment",
            severity: "low",
            subject: current.id,
            message: `production changed ${formatDuration(age / 1000)} ago: ${current.id} (${current.url})${current.label ? `, "${current.label}"` : ""}`,
            fix: `if the trouble started after it, roll back to the previous one: ${rollback} (add --dry-run to see which)`,
          }
        : {
            id: "suspect-recent-deployment",
            severity: "info",
            subject: current.id,
            message: `production serves ${current.id}, deployed ${formatDuration(age / 1000)} ago: no recent change`,
            fix: "",
          },
    );
  }
  return findings;
}
