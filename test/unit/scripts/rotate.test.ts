/**
 * `rotate` in-process through the runner, with a stand-in for the engine: the
 * requests it hands each `up`, what it prints, and its exit codes. The
 * rotation itself through the real engine is in test/e2e/rotation.test.ts;
 * that a failed gate revokes nothing at the provider is in
 * test/integration/rotation/rotation.test.ts.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { describe, expect, it } from "vitest";
import type { StackHandle } from "../../../infra/rotation/command";
import { REQUEST_ENV, type RotationRequest } from "../../../infra/rotation/request";
import { runCommand } from "../../../scripts/lib/runner";
import { rotate, type RotateDeps } from "../../../scripts/rotate";
import { dispatch } from "../../../scripts/runbooks";

const URN = "urn:pulumi:local::runbooks::pulumi-nodejs:dynamic/runbooks-rotation:";
const GATE_FAILED =
  "health gate failed: 2 of 3 answers were 503. Nothing was revoked: the new and the previous credentials are both valid.";

/** An engine that records each request, emits one step per up and fails the ups it is told to. */
function engine(fail: (request: RotationRequest, n: number) => string | undefined) {
  const env: Record<string, string | undefined> = {};
  const requests: RotationRequest[] = [];
  const handle: StackHandle = {
    setEnv: (key, value) => (env[key] = value),
    async up(onEvent: (event: EngineEvent) => void) {
      const request = JSON.parse(env[REQUEST_ENV]!) as RotationRequest;
      requests.push(request);
      const metadata = {
        urn: `${URN}RotatedCredential::runbooks-rotation-app-db-login`,
        op: "update",
        type: "pulumi-nodejs:dynamic/runbooks-rotation:RotatedCredential",
      };
      onEvent({ sequence: 1, timestamp: 0, resourcePreEvent: { metadata } } as EngineEvent);
      const problem = fail(request, requests.length);
      if (problem) {
        onEvent({ sequence: 2, timestamp: 0, resOpFailedEvent: { metadata } } as EngineEvent);
        throw new Error(problem);
      }
      onEvent({ sequence: 2, timestamp: 0, resOutputsEvent: { metadata } } as EngineEvent);
      return {};
    },
  };
  return { handle, requests, env };
}

async function run(argv: string[], handle: StackHandle) {
  const out: string[] = [];
  const err: string[] = [];
  const deps: Partial<RotateDeps> = { openStack: async () => handle };
  const code = await runCommand(rotate, {
    argv,
    env: {},
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    now: () => 1_700_000_000_000,
    deps,
  });
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

describe("rotate", () => {
  it("hands the engine one request, prints each step, exits 0", async () => {
    const e = engine(() => undefined);
    const result = await run(["-s", "local", "--secret", "app-db-login,service-key"], e.handle);
    expect(result.code).toBe(0);
    expect(e.requests).toEqual([
      {
        id: "rotate-1700000000000",
        rotate: ["app-db-login", "service-key"],
        emergency: false,
        rollback: [],
      },
    ]);
    // The request acts on this up only: a later plain `pulumi up` does not see it.
    expect(e.env[REQUEST_ENV]).toBeUndefined();
    expect(result.stderr).toContain("[1] … update  runbooks-rotation-app-db-login");
    expect(result.stdout).toContain("rotation of stack local: succeeded");
    expect(result.stdout).toContain("✓ update  runbooks-rotation-app-db-login");
  });

  it("--all --emergency asks for every credential and the early revocation, as JSON", async () => {
    const e = engine(() => undefined);
    const result = await run(["-s", "local", "--all", "--emergency", "--json"], e.handle);
    expect(result.code).toBe(0);
    expect(e.requests[0]).toMatchObject({ rotate: "all", emergency: true });
    const envelope = JSON.parse(result.stdout);
    expect(envelope).toMatchObject({
      command: "rotate",
      ok: true,
      report: { result: "succeeded", stack: "local" },
    });
    expect(result.stderr).toBe("");
  });

  it("a failed health gate: the follow-up up only points back, never revokes; exit 1 with what to do", async () => {
    const e = engine((request) => (request.rotate.length > 0 ? GATE_FAILED : undefined));
    const result = await run(["-s", "local", "--secret", "app-db-login", "--json"], e.handle);
    expect(result.code).toBe(1);
    expect(e.requests).toHaveLength(2);
    expect(e.requests[1]).toEqual({
      id: "rollback-1700000000000",
      rotate: [],
      emergency: false,
      rollback: ["app-db-login"],
    });
    const envelope = JSON.parse(result.stdout);
    expect(envelope.report.result).toBe("rolled-back");
    expect(envelope.findings).toEqual([
      expect.objectContaining({
        id: "require-healthy-app-after-rotation",
        severity: "high",
        message: expect.stringContaining("nothing was revoked"),
        fix: expect.stringContaining("npm run rotate -- -s local --secret app-db-login"),
      }),
    ]);
  });

  it("a failed gate whose rollback fails too still revokes nothing and says how to finish", async () => {
    const e = engine(() => GATE_FAILED);
    const result = await run(["-s", "local", "--secret", "app-db-login"], e.handle);
    expect(result.code).toBe(1);
    expect(e.requests.every((r) => !r.emergency)).toBe(true);
    expect(result.stdout).toContain("rotation of stack local: failed");
    expect(result.stdout).toContain("--rollback app-db-login");
  });

  it("any other failure stops without a rollback and says a re-run continues", async () => {
    const e = engine(() => "Vercel API 500 on POST /v13/deployments");
    const result = await run(["-s", "local", "--all"], e.handle);
    expect(result.code).toBe(1);
    expect(e.requests).toHaveLength(1);
    expect(result.stdout).toContain("require-rotation-to-complete");
    expect(result.stdout).toContain("a re-run continues where this one stopped");
  });

  it("refuses bad usage before touching the engine (exit 2)", async () => {
    const e = engine(() => undefined);
    const noStack = await run(["--all"], e.handle);
    expect(noStack.code).toBe(2);
    expect(noStack.stderr).toContain("name the stack: -s <stack>");
    const both = await run(["-s", "local", "--all", "--secret", "app-db-login"], e.handle);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("use --secret or --all, not both");
    const unknown = await run(["-s", "local", "--secret", "nope"], e.handle);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no rotated credential 'nope' in stack local");
    expect(e.requests).toEqual([]);
  });

  it("is registered with the runbooks dispatcher", async () => {
    const out: string[] = [];
    expect(await dispatch(["rotate", "--help"], { stdout: (t) => out.push(t) })).toBe(0);
    expect(out.join("\n")).toContain("--emergency");
  });
});
