import { describe, expect, it } from "vitest";
import {
  deploymentFindings,
  type DeploymentSummary,
  type ProductionDeployments,
} from "../../../infra/deploys/deployments";
import { planRollback, RollbackPlanError } from "../../../infra/deploys/rollback";

const d = (id: string, hour: number, over: Partial<DeploymentSummary> = {}): DeploymentSummary => ({
  id,
  url: `web-${id}.vercel.app`,
  createdAt: new Date(Date.UTC(2026, 2, 20, hour)).toISOString(),
  readyState: "READY",
  current: false,
  rollbackCandidate: true,
  ...over,
});

const list = (deployments: DeploymentSummary[], over: Partial<ProductionDeployments> = {}) => ({
  project: { id: "prj_1", name: "web" },
  currentId: deployments.find((x) => x.current)?.id,
  rolledBack: false,
  deployments,
  ...over,
});

describe("planRollback", () => {
  const history = list([
    d("dpl_c", 12, { current: true, rollbackCandidate: false }),
    // Even if the API flagged it a candidate, a build that failed cannot serve.
    d("dpl_b_failed", 11, { readyState: "ERROR" }),
    d("dpl_a", 10),
    d("dpl_0", 9),
  ]);

  it("takes the newest earlier READY candidate, skipping failed builds", () => {
    const plan = planRollback(history);
    expect([plan.from.id, plan.to.id]).toEqual(["dpl_c", "dpl_a"]);
  });

  it("takes --to by id or by URL, with or without https://", () => {
    expect(planRollback(history, "dpl_0").to.id).toBe("dpl_0");
    expect(planRollback(history, "https://web-dpl_0.vercel.app/").to.id).toBe("dpl_0");
  });

  it("after a rollback to an older build, the default is the newest candidate older than what serves", () => {
    const after = list([
      d("dpl_c", 12),
      d("dpl_a", 10, { current: true, rollbackCandidate: false }),
      d("dpl_0", 9),
    ]);
    expect(planRollback(after).to.id).toBe("dpl_0");
  });

  it.each([
    ["dpl_c", /already serves production/],
    ["dpl_b_failed", /is ERROR, not READY/],
    [
      "dpl_nope",
      /not one of the 4 most recent production deployments of web: see them with --list/,
    ],
  ])("refuses --to %s", (to, message) => {
    expect(() => planRollback(history, to)).toThrow(RollbackPlanError);
    expect(() => planRollback(history, to)).toThrow(message);
  });

  it("refuses when nothing earlier can take over, or nothing serves", () => {
    expect(() => planRollback(list([d("dpl_c", 12, { current: true })]))).toThrow(
      /no earlier production deployment of web to roll back to/,
    );
    expect(() => planRollback(list([d("dpl_a", 10)]))).toThrow(
      /no deployment of web serves production/,
    );
  });
});

describe("deploymentFindings", () => {
  const now = Date.UTC(2026, 2, 20, 12, 30);

  it("a production change within a day is a suspect, with the rollback command for the stack", () => {
    const findings = deploymentFindings(
      list([d("dpl_c", 12, { current: true, label: "Add checkout" })]),
      now,
      "production",
    );
    expect(findings).toEqual([
      expect.objectContaining({
        id: "suspect-recent-deployment",
        severity: "low",
        message: 'production changed 30 min ago: dpl_c (web-dpl_c.vercel.app), "Add checkout"',
        fix: "if the trouble started after it, roll back to the previous one: npm run rollback -- --stack production (add --dry-run to see which)",
      }),
    ]);
  });

  it("an old production deployment is just context", () => {
    const findings = deploymentFindings(
      list([d("dpl_c", 12, { current: true })]),
      now + 3 * 86_400_000,
    );
    expect(findings[0]).toMatchObject({ severity: "info" });
  });

  it("a failed newest build, a rollback in effect, and nothing serving are said", () => {
    const failed = deploymentFindings(
      list([d("dpl_x", 12, { readyState: "ERROR" }), d("dpl_a", 10, { current: true })], {
        rolledBack: true,
      }),
      now,
    );
    expect(failed.map((f) => [f.id, f.severity])).toEqual([
      ["fix-failed-deployment", "medium"],
      ["promote-after-rollback", "low"],
      ["suspect-recent-deployment", "low"],
    ]);
    const none = deploymentFindings(list([d("dpl_a", 10)]), now);
    expect(none[0]).toMatchObject({ id: "serve-production", severity: "high" });
  });
});
