import { describe, expect, it } from "vitest";
import { alertsSchema } from "../../../infra/config/index";
import { incidentDocument, renderIncident } from "../../../infra/incident/report";
import { rateFinding, suggestSeverity } from "../../../infra/incident/severity";
import { backupAgeFindings, rotationFindings } from "../../../infra/incident/sources";
import { runSteps, statusOf, type StepResult } from "../../../infra/incident/steps";
import type { Finding } from "../../../infra/lib/findings";

const f = (over: Partial<Finding>): Finding => ({
  id: "x",
  severity: "high",
  subject: "s",
  message: "m",
  fix: "",
  ...over,
});
const levels = { health: "P0", backup: "P1", budget: "P2" } as const;
const step = (id: StepResult["id"], findings: Finding[]): StepResult => ({
  id,
  title: id,
  status: statusOf(findings),
  findings,
  durationMs: 1,
  next: `npm run ${id}`,
});
const NOW = Date.parse("2026-03-20T03:00:00Z");

describe("rateFinding", () => {
  it.each([
    ["health", f({ id: "health", severity: "critical" }), "P0"],
    ["health", f({ id: "health", severity: "medium" }), "P2"],
    ["health", f({ id: "health-tls-certificate", severity: "critical" }), "P0"],
    [
      "health",
      f({
        id: "health-tls-certificate",
        severity: "high",
        message: "TLS certificate is not trusted",
      }),
      "P1",
    ],
    [
      "health",
      f({ id: "health-tls-certificate", severity: "high", message: "expires in 3 days" }),
      "P3",
    ],
    ["rls-smoke", f({ severity: "critical" }), "P0"],
    ["rls-smoke", f({ severity: "high" }), "P1"],
    ["db-status", f({ id: "rls", severity: "critical" }), "P0"],
    ["db-status", f({ id: "resolve-failed-migration", severity: "high" }), "P1"],
    ["db-status", f({ id: "connections", severity: "critical" }), "P1"],
    ["db-status", f({ id: "locks", severity: "high" }), "P2"],
    ["db-performance", f({ severity: "high" }), "P2"],
    ["cost", f({ severity: "high" }), "P2"],
    ["cost", f({ severity: "medium" }), "P3"],
    ["backups", f({ severity: "high" }), "P1"],
    ["rotation", f({ severity: "high" }), "P1"],
    ["deployments", f({ id: "serve-production", severity: "high" }), "P1"],
    ["deployments", f({ id: "fix-failed-deployment", severity: "medium" }), "P3"],
  ] as const)("%s %o is %s", (id, finding, level) => {
    expect(rateFinding(id, finding, levels)?.level).toBe(level);
  });

  it("takes the stack's own levels for the health, backup and budget alerts", () => {
    const own = { health: "P1", backup: "P2", budget: "P3" } as const;
    expect(rateFinding("health", f({ id: "health", severity: "critical" }), own)?.level).toBe("P1");
    expect(rateFinding("backups", f({ severity: "high" }), own)?.level).toBe("P2");
    expect(rateFinding("cost", f({ severity: "high" }), own)?.level).toBe("P3");
  });

  it("ignores info, could-not-check and a recent deployment by itself", () => {
    expect(rateFinding("health", f({ severity: "info" }), levels)).toBeUndefined();
    expect(rateFinding("health", f({ couldNotCheck: true }), levels)).toBeUndefined();
    expect(
      rateFinding("deployments", f({ id: "suspect-recent-deployment", severity: "low" }), levels),
    ).toBeUndefined();
  });
});

describe("suggestSeverity", () => {
  const alerts = alertsSchema.parse({
    healthCheck: { url: "https://app.example.com/h" },
    routes: { P0: { emails: ["a@example.com"] }, P1: {}, P2: {}, P3: {} },
    escalation: {
      P0: { respondWithinMinutes: 0, meaning: "Down." },
      P1: { respondWithinMinutes: 30, meaning: "Broken." },
      P2: { respondWithinMinutes: 120, meaning: "Degraded." },
      P3: { respondWithinMinutes: 1440, meaning: "Minor." },
    },
  });

  it("the most urgent problem decides, with the stack's escalation deadline", () => {
    const s = suggestSeverity(
      [
        step("db-performance", [f({ severity: "high", message: "slow" })]),
        step("backups", [f({ severity: "high", message: "stale" })]),
      ],
      alerts,
      NOW,
    );
    expect(s).toMatchObject({
      severity: "P1",
      respondWithinMinutes: 30,
      meaning: "Broken.",
      respondBy: "2026-03-20T03:30:00.000Z",
      reasons: ["data at risk if the database is lost: stale"],
    });
  });

  it("no problem: no severity, with the steps that could not run listed", () => {
    const s = suggestSeverity(
      [
        step("health", [f({ severity: "info" })]),
        step("rotation", [f({ severity: "medium", couldNotCheck: true })]),
      ],
      undefined,
      NOW,
    );
    expect(s).toEqual({ reasons: [], unchecked: ["rotation"] });
  });
});

describe("runSteps", () => {
  it("keeps a throwing or hanging step to itself: could not check, with why", async () => {
    const results = await runSteps(
      [
        {
          id: "health",
          title: "app health",
          next: "n1",
          run: async () => [f({ severity: "info" })],
        },
        {
          id: "cost",
          title: "spend",
          next: "npm run cost:guard",
          run: () => Promise.reject(new Error("boom")),
        },
        {
          id: "rotation",
          title: "key rotation",
          next: "n3",
          run: () => new Promise(() => undefined),
        },
      ],
      { timeoutMs: 50, now: Date.now },
    );
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ["health", "ok"],
      ["cost", "could-not-check"],
      ["rotation", "could-not-check"],
    ]);
    expect(results[1]!.findings[0]).toMatchObject({
      message: "spend: could not check — boom",
      fix: "run it on its own for details: npm run cost:guard",
    });
    expect(results[2]!.findings[0]!.message).toBe(
      "key rotation: could not check — did not finish within 0 s",
    );
  });
});

describe("the report", () => {
  const steps = [
    step("health", [
      f({ id: "health", severity: "critical", message: "DOWN — no 2xx", fix: "check the hosting" }),
    ]),
    step("backups", [
      f({
        severity: "medium",
        message: "latest backup: could not check — no area",
        couldNotCheck: true,
      }),
    ]),
  ];
  const report = {
    stack: "prod",
    startedAt: "2026-03-20T03:00:00.000Z",
    severity: suggestSeverity(steps, undefined, NOW),
    steps,
  };

  it("says the severity, why, and the next command for each step with a problem", () => {
    const text = renderIncident(report).join("\n");
    expect(text).toContain(
      "Suggested severity: P0 — Site down or data at risk: respond immediately. Deadline 2026-03-20 03:00:00 UTC (from the escalation table).",
    );
    expect(text).toContain("because site down: DOWN — no 2xx");
    expect(text).toContain("could not check (the severity may be higher): backups");
    expect(text).toMatch(/PROBLEM {2}health {17}DOWN — no 2xx\n {34}next: npm run health/);
  });

  it("writes the review template with the findings as the first timeline entries", () => {
    const doc = incidentDocument(report, undefined, "npm run incident -- --stack prod --write");
    expect(doc).toContain("# Incident 2026-03-20 prod (P0, suggested)");
    expect(doc).toContain("| 03:00:00 | health — CRITICAL: DOWN — no 2xx |");
    expect(doc).toContain(
      "| 03:00:00 | backups — UNKNOWN: latest backup: could not check — no area |",
    );
    expect(doc).toContain("| P3 | within 24 h | Minor issue: respond within 24 hours. |");
  });
});

describe("backup age and rotation findings", () => {
  it("no backup and a stale one are high; a fresh one is info", () => {
    expect(backupAgeFindings(undefined, 26, NOW)[0]).toMatchObject({ severity: "high" });
    const stale = backupAgeFindings(
      { takenAt: "2026-03-18T00:00:00Z", location: "k" },
      26,
      NOW,
    )[0]!;
    expect(stale).toMatchObject({ severity: "high" });
    expect(stale.message).toBe(
      "the latest backup is 2 d 3 h old, past the 26 h limit (runbooks:backup.maxAgeHours)",
    );
    expect(
      backupAgeFindings({ takenAt: "2026-03-20T01:00:00Z", location: "k" }, 26, NOW)[0],
    ).toMatchObject({ severity: "info" });
  });

  it("a failed rotation is high, one stuck for over an hour medium", () => {
    const findings = rotationFindings(
      [
        { at: "2026-03-20T00:00:00Z", credential: "a", step: "revoke", outcome: "failed" },
        { at: "2026-03-20T01:00:00Z", credential: "b", step: "redeploy", outcome: "in-progress" },
        { at: "2026-03-20T02:59:00Z", credential: "c", step: "redeploy", outcome: "in-progress" },
      ],
      NOW,
      7,
    );
    expect(findings.map((x) => [x.subject, x.severity])).toEqual([
      ["a", "high"],
      ["b", "medium"],
    ]);
  });
});
