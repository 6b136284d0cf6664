/** The rotation area planned from config: sinks from rotationRef, gates, projects, and the errors. */
import { describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig } from "../../../infra/config/index";
import { readStackConfig } from "../../../infra/config/stack-file";
import { noncesFor, readRequest, REQUEST_ENV } from "../../../infra/rotation/request";
import { maxAgeDaysOf, planRotationStack, rolloutId } from "../../../infra/rotation/stack-plan";

const context = { stack: "t", stackFile: "stacks/Pulumi.t.yaml" };

describe("planRotationStack", () => {
  it("finds every sink of the local stack's credentials and one gate and project for all of them", () => {
    const { config } = readStackConfig({ stack: "local" });
    const plan = planRotationStack({
      ...config,
      stack: "local",
      rotation: {
        ...config.rotation,
        gate: { ...config.rotation.gate, url: "http://127.0.0.1:1/api/health" },
      },
    });
    expect(Object.fromEntries(plan.credentials.map((c) => [c.name, c.sinks]))).toEqual({
      "app-db-login": [
        { kind: "vercel-env", target: "local-app/DATABASE_URL (production)" },
        { kind: "github-secret", target: "local/app:production/APP_DATABASE_URL" },
      ],
      "session-secret": [
        { kind: "vercel-env", target: "local-app/SESSION_SECRET (production)" },
        { kind: "vercel-env", target: "local-app/SESSION_SECRET_PREVIOUS (production)" },
      ],
      "service-key": [{ kind: "vercel-env", target: "local-app/SUPABASE_SECRET_KEY (production)" }],
    });
    expect(plan.vercelProjects).toEqual(["local-app"]);
    expect(plan.gates.map((g) => g.credentials)).toEqual([
      ["app-db-login", "session-secret", "service-key"],
    ]);
    expect(plan.credentials[0]!.roles).toEqual({
      group: "app_rw",
      logins: ["app_rw_a", "app_rw_b"],
      schemas: ["public"],
      privileges: ["DELETE", "INSERT", "SELECT", "UPDATE"],
    });
  });

  it("refuses a credential that reaches no sink or has no health gate, naming the key and the fix", () => {
    const config = parseStackConfig(
      {
        owner: "o",
        features: {
          vercel: false,
          github: false,
          backupStorage: false,
          alerts: false,
          rls: false,
          backups: false,
          rotation: true,
        },
        rotation: { credentials: [{ name: "lonely", kind: "generic" }] },
      },
      context,
    );
    let error: unknown;
    try {
      planRotationStack({ ...config, stack: "t" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => [p.key, p.fix])).toEqual([
      [
        "runbooks:rotation.credentials[0].healthGateUrl",
        "set its healthGateUrl, or rotation.gate.url, in stacks/Pulumi.t.yaml",
      ],
      ["runbooks:rotation.credentials[0]", expect.stringMatching(/rotationRef: lonely/)],
    ]);
  });

  it("a rollback to a known-good generation is a new rollout, the same generations at the same time are not", () => {
    const a = rolloutId({ db: { id: "a#g1", rotatedAt: "2030-01-01T00:00:00Z" } });
    expect(rolloutId({ db: { id: "a#g1", rotatedAt: "2030-01-01T00:00:00Z" } })).toBe(a);
    expect(rolloutId({ db: { id: "a#g1", rotatedAt: "2030-02-01T00:00:00Z" } })).not.toBe(a);
  });
});

describe("the rotate command's request", () => {
  it("hands each named credential one nonce, and every credential with --all", () => {
    const request = readRequest({
      [REQUEST_ENV]: JSON.stringify({ id: "r1", rotate: ["db"], rollback: ["key"] }),
    })!;
    expect(noncesFor("db", request)).toEqual({ request: "r1" });
    expect(noncesFor("key", request)).toEqual({ rollback: "r1" });
    expect(noncesFor("other", request)).toEqual({});
    const all = readRequest({
      [REQUEST_ENV]: JSON.stringify({ id: "r2", rotate: "all", emergency: true }),
    })!;
    expect(noncesFor("other", all)).toEqual({ emergency: "r2" });
    expect(readRequest({})).toBeUndefined();
    expect(() => readRequest({ [REQUEST_ENV]: "{" })).toThrow(/not JSON/);
  });
});

describe("maxAgeDaysOf", () => {
  it("is the interval plus the overlap, in days (what the policy pack bounds)", () => {
    expect(maxAgeDaysOf({ intervalDays: 89, overlapMinutes: 1440 })).toBe(90);
    expect(maxAgeDaysOf({ intervalDays: 30, overlapMinutes: 120 })).toBe(30.083);
    expect(maxAgeDaysOf({ intervalDays: 30, overlapMinutes: 1 })).toBeGreaterThan(30);
  });
});
