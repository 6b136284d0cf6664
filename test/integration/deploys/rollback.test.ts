/**
 * `rollback` against the Vercel stand-in through `@vercel/sdk` (which
 * validates every answer): listing, dry run, rolling back to the previous
 * or a chosen production deployment, waiting until it serves, the health
 * check afterwards (a real HTTP server), and what happens when Vercel
 * misbehaves.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, afterEach, describe, expect, it } from "vitest";
import { startVercelFake, type VercelFake } from "../../../infra/local/fakes/vercel/index";
import type { Finding } from "../../../infra/lib/findings";
import { rollback, type RollbackDeps } from "../../../scripts/rollback";
import { randomFrom } from "../../support/fake-secrets";
import { json, runScript, startServer, type TestServer } from "../checks/helpers";

const TEAM = { id: "team_rollback00000000000000001", slug: "acme" };
const TOKEN = `vcp_${randomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 24)}`;
const root = mkdtempSync(join(tmpdir(), "runbooks-rollback-"));
mkdirSync(join(root, "stacks"));
writeFileSync(
  join(root, "stacks", "Pulumi.acme.yaml"),
  [
    "config:",
    "  aws:region: eu-west-1",
    "  runbooks:owner: ops",
    "  runbooks:features: { github: false, backupStorage: false, alerts: false }",
    "  runbooks:vercel:",
    "    projectName: web",
    `    teamId: ${TEAM.id}`,
    "    gitRepository: { repo: acme/web }",
    "",
  ].join("\n"),
);

let fake: VercelFake;
let app: TestServer;
let appHealthy = true;
const ids: Record<"old" | "previous" | "failed" | "current", string> = {} as never;

beforeEach(async () => {
  fake = await startVercelFake({ token: TOKEN, teams: [TEAM] });
  fake.addProject({ name: "web", teamId: TEAM.id });
  const at = (h: number) => Date.UTC(2026, 2, 20, h);
  ids.old = fake.addDeployment("web", { target: "production", createdAt: at(8) }).id;
  ids.previous = fake.addDeployment("web", { target: "production", createdAt: at(9) }).id;
  ids.failed = fake.addDeployment("web", {
    target: "production",
    readyState: "ERROR",
    createdAt: at(10),
  }).id;
  ids.current = fake.addDeployment("web", { target: "production", createdAt: at(11) }).id;
  appHealthy = true;
});

afterEach(async () => {
  await fake.stop();
});

afterAll(async () => {
  await app?.close();
});

async function appUrl(): Promise<string> {
  app ??= await startServer((_req, res) =>
    appHealthy ? json(res, 200, { status: "ok" }) : json(res, 503, { status: "down" }),
  );
  return `${app.url}/api/health`;
}

const env = (over: Record<string, string | undefined> = {}) => ({
  VERCEL_TOKEN: TOKEN,
  VERCEL_API_URL: fake.url,
  ...over,
});

const deps: Partial<RollbackDeps> = { sleep: async () => undefined, pollMs: 5, retryForMs: 1500 };

const run = (argv: string[], e = env()) => runScript(rollback, argv, { root, env: e, deps });

interface Envelope {
  exitCode: number;
  findings: Finding[];
  report: {
    deployments: {
      currentId: string;
      deployments: { id: string; current: boolean; readyState: string }[];
    };
    plan?: { from: { id: string }; to: { id: string } };
    outcome?: { serving: boolean };
    health?: { state: string };
  };
  error?: string;
}

describe("rollback --list (vercel ls)", () => {
  it("lists production deployments newest first, marking the one serving (exit 0)", async () => {
    const result = await run(["--stack", "acme", "--list", "--json"]);
    expect(result.code).toBe(0);
    const { report } = JSON.parse(result.stdout) as Envelope;
    expect(report.deployments.currentId).toBe(ids.current);
    expect(report.deployments.deployments.map((d) => [d.id, d.readyState, d.current])).toEqual([
      [ids.current, "READY", true],
      [ids.failed, "ERROR", false],
      [ids.previous, "READY", false],
      [ids.old, "READY", false],
    ]);
    const human = await run(["--stack", "acme", "--list"]);
    expect(human.stdout).toContain("Production deployments of web (newest first):");
    expect(human.stdout).toMatch(
      new RegExp(`\\* ${ids.current} +READY +2026-03-20 11:00 .*\\(serving production\\)`),
    );
    expect(result.stdout + human.stdout + human.stderr).not.toContain(TOKEN);
  });
});

describe("rollback", () => {
  it("--dry-run says what it would do and changes nothing", async () => {
    const result = await run(["--stack", "acme", "--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`would roll back production of web from ${ids.current}`);
    expect(result.stdout).toContain(`to ${ids.previous}`);
    expect(result.stdout).toContain("(dry run: nothing was changed");
    expect(fake.project("web").productionDeploymentId).toBe(ids.current);
    expect(fake.count("POST /v1/projects/{projectId}/rollback/{deploymentId}")).toBe(0);
  });

  it("rolls back to the previous READY deployment (skipping the failed build), waits, then checks health (exit 0)", async () => {
    const result = await run([
      "--stack",
      "acme",
      "--url",
      await appUrl(),
      "--json",
      "--reason",
      "INC-7",
    ]);
    expect(result.code).toBe(0);
    const envelope = JSON.parse(result.stdout) as Envelope;
    expect(envelope.report.plan).toMatchObject({
      from: { id: ids.current },
      to: { id: ids.previous },
    });
    expect(envelope.report.outcome).toMatchObject({ serving: true });
    expect(envelope.report.health).toMatchObject({ state: "up" });
    expect(fake.project("web").productionDeploymentId).toBe(ids.previous);
    expect(envelope.findings.map((f) => f.id)).toEqual(["roll-back-production", "health"]);
  });

  it("prints the rollback, the promote reminder and the health check for a human", async () => {
    const result = await run(["--stack", "acme", "--url", await appUrl()]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`rolled back production of web from ${ids.current}`);
    expect(result.stdout).toContain("once fixed, promote one (vercel promote <url>)");
    expect(result.stdout).toMatch(
      /Health check: http:\/\/127\.0\.0\.1:\d+\/api\/health {2}\(--url\)/,
    );
    expect(result.stdout).toContain("Result: ALL GOOD (exit 0)");
  });

  it("--to rolls back to the chosen deployment", async () => {
    const result = await run(["--stack", "acme", "--to", ids.old, "--url", await appUrl()]);
    expect(result.code).toBe(0);
    expect(fake.project("web").productionDeploymentId).toBe(ids.old);
  });

  it("exit 1 when the app is still down after the rollback", async () => {
    appHealthy = false;
    const result = await run(["--stack", "acme", "--url", await appUrl(), "--json"]);
    expect(result.code).toBe(1);
    const { findings } = JSON.parse(result.stdout) as Envelope;
    expect(findings.find((f) => f.id === "health")).toMatchObject({ severity: "critical" });
    expect(fake.project("web").productionDeploymentId).toBe(ids.previous);
  });

  it("exit 1 when production does not serve the target within --wait", async () => {
    // Vercel keeps answering with the old production target.
    fake.corruptNext(
      1000,
      (body) => {
        const b = body as { targets?: { production?: { id: string } } };
        if (b.targets?.production) b.targets.production.id = ids.current;
        return b;
      },
      { route: "/v9/projects/{idOrName}" },
    );
    const times = [0, 500, 1500];
    let i = 0;
    const result = await runScript(rollback, ["--stack", "acme", "--wait", "1", "--json"], {
      root,
      env: env(),
      deps,
      now: () => times[Math.min(i++, times.length - 1)]!,
    });
    expect(result.code).toBe(1);
    const { findings } = JSON.parse(result.stdout) as Envelope;
    expect(findings[0]).toMatchObject({ id: "roll-back-production", severity: "high" });
    expect(findings[0]!.message).toContain("did not serve");
  });
});

describe("rollback refuses bad input (exit 2)", () => {
  it("--to the deployment already serving, a failed one, or an unknown one", async () => {
    for (const [to, message] of [
      [ids.current, "already serves production"],
      [ids.failed, "is ERROR, not READY"],
      ["dpl_nope", "is not one of the 4 most recent production deployments"],
    ] as const) {
      const result = await run(["--stack", "acme", "--to", to]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    }
    expect(fake.project("web").productionDeploymentId).toBe(ids.current);
  });

  it("no token, no project, an unknown project, --list with --to", async () => {
    const noToken = await run(["--stack", "acme"], env({ VERCEL_TOKEN: undefined }));
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain(
      `no Vercel token: set VERCEL_TOKEN to an access token scoped to team ${TEAM.id}`,
    );
    const noProject = await run([]);
    expect(noProject.code).toBe(2);
    expect(noProject.stderr).toContain("no Vercel project to look at: pass --project <id or name>");
    const unknown = await run(["--stack", "acme", "--project", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Vercel project nope: HTTP 404 not_found: Project not found");
    const both = await run(["--stack", "acme", "--list", "--to", ids.old]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--list only lists");
  });

  it("a wrong token is Vercel's 403, and never printed", async () => {
    const wrong = `vcp_${randomFrom("abcdefghijklmnopqrstuvwxyz", 24)}`;
    const result = await run(["--stack", "acme", "--list"], env({ VERCEL_TOKEN: wrong }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("HTTP 403 forbidden: Not authorized");
    expect(result.stdout + result.stderr).not.toContain(wrong);
  });

  it("a rollback Vercel keeps refusing with 500 could not be done (exit 2), production unchanged", async () => {
    fake.failNext(50, { route: "POST /v1/projects/{projectId}/rollback/{deploymentId}" });
    const before = fake.count("POST /v1/projects/{projectId}/rollback/{deploymentId}");
    const result = await run(["--stack", "acme", "--json"]);
    expect(result.code).toBe(2);
    expect((JSON.parse(result.stdout) as Envelope).error).toContain(
      `rollback of web to ${ids.previous}: HTTP 500 internal_server_error`,
    );
    expect(fake.project("web").productionDeploymentId).toBe(ids.current);
    // Retried before giving up.
    expect(
      fake.count("POST /v1/projects/{projectId}/rollback/{deploymentId}") - before,
    ).toBeGreaterThan(1);
  });
});
