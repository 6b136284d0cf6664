/**
 * Rotation through the real engine: the `local` stack with Postgres
 * alternating login roles for real, and the Vercel, GitHub and Supabase
 * stand-ins; the stand-in app behind the Vercel project serves each
 * redeploy's env, so the health gate proves the app works with the new
 * credential.
 *
 * Crash cases kill the engine (the `pulumi` process and its plugins) at each
 * step of a rotation and run `up` again: no credential is left orphaned,
 * nothing is revoked before the gate, and the re-run converges.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { LocalWorkspace } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChain } from "../../infra/rotation/audit";
import type { RotateStep, StackHandle } from "../../infra/rotation/command";
import { REQUEST_ENV } from "../../infra/rotation/request";
import { ensurePulumiCli } from "../../infra/tools/pulumi-cli";
import { runCommand } from "../../scripts/lib/runner";
import { rotate, type RotateDeps } from "../../scripts/rotate";
import {
  SECRET_SIG,
  credentialUrls,
  createE2eStack,
  leakedSecrets,
  type E2eStack,
} from "../support/engine";
import { canConnect } from "../integration/rotation/world";

const STEP = { timeout: 600_000 };
const CREDENTIAL = "pulumi-nodejs:dynamic/runbooks-rotation:RotatedCredential";
const REVOCATION = "pulumi-nodejs:dynamic/runbooks-rotation-steps:Revocation";

let e: E2eStack;
/** The workspace's environment reaches the CLI and, through it, the provider processes. */
function setEnv(key: string, value: string | undefined): void {
  const env = (e.stack.workspace as LocalWorkspace).envVars;
  if (value === undefined) delete env[key];
  else env[key] = value;
}

interface CredentialState {
  current: string;
  previous?: string;
  currentId: string;
  generation: number;
  state: { retired: { id: string }[]; previous?: { id: string } };
}

/** exportStack() decrypts, but keeps each secret in its envelope with the value JSON-encoded in `plaintext`. */
function opened(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(opened);
  if (value === null || typeof value !== "object") return value;
  const o = value as Record<string, unknown>;
  if (SECRET_SIG in o) return opened(JSON.parse(String(o.plaintext)));
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, opened(v)]));
}

async function resources(type: string): Promise<Map<string, Record<string, unknown>>> {
  const exported = await e.stack.exportStack();
  const all =
    (exported.deployment as { resources?: { type: string; outputs?: Record<string, unknown> }[] })
      .resources ?? [];
  return new Map(
    all
      .filter((r) => r.type === type)
      .map((r) => [
        String(opened(r.outputs?.name)),
        opened(r.outputs ?? {}) as Record<string, unknown>,
      ]),
  );
}

async function credential(name: string): Promise<CredentialState> {
  return (await resources(CREDENTIAL)).get(name) as unknown as CredentialState;
}

function audit() {
  const { entries, problems } = verifyChain(
    readFileSync(e.rotation!.auditFile, "utf8").split("\n"),
  );
  expect(problems).toEqual([]);
  return entries;
}

/** `pulumi up` through the CLI in its own process group, killed the moment a provider reaches `step`. */
async function upKilledAfter(step: string, extraEnv: Record<string, string> = {}): Promise<void> {
  const cli = await ensurePulumiCli({ quiet: true });
  const marker = join(e.root, `pause-${step}-${Date.now()}`);
  const child = spawn(
    cli.bin,
    ["up", "--yes", "--skip-preview", "-s", e.stackName, "--non-interactive"],
    {
      cwd: e.workDir,
      env: {
        ...e.env,
        ...extraEnv,
        RUNBOOKS_ROTATION_PAUSE_AFTER: step,
        RUNBOOKS_ROTATION_PAUSE_MARKER: marker,
      },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((r) => child.on("close", () => r()));
  const deadline = Date.now() + 240_000;
  while (!existsSync(marker)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      e.record(output);
      throw new Error(`the engine never reached '${step}':\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(-child.pid!, "SIGKILL");
  await exited;
  e.repairAfterKill();
  e.record(output);
  rmSync(marker, { force: true });
}

/** A re-run after a kill: the interrupted operations are cleared the way the CLI tells a user to. */
async function upAfterCrash() {
  // A killed engine leaves the stack locked; the CLI says to run `pulumi cancel`.
  const cancel = await e.cli(["cancel", "--yes", "-s", e.stackName], { op: "cancel" });
  expect(cancel.code, cancel.stderr.slice(-2000)).toBe(0);
  const refreshed = await e.cli(
    ["refresh", "--yes", "--clear-pending-creates", "-s", e.stackName],
    { op: "refresh --clear-pending-creates" },
  );
  expect(refreshed.code, refreshed.stderr.slice(-2000)).toBe(0);
  return e.up();
}

beforeAll(async () => {
  e = await createE2eStack("rotation", { rotation: true });
}, 300_000);

afterAll(async () => {
  await e?.dispose();
});

describe("the local stack's rotation through the engine", () => {
  it(
    "preview shows the credentials and steps it would create, and creates nothing",
    STEP,
    async () => {
      const preview = await e.preview();
      const creates = e
        .lastEvents()
        .map((ev) => ev.resourcePreEvent?.metadata)
        .filter((m) => m?.op === "create" && m.type.includes("runbooks-rotation"))
        .map((m) => m!.urn.split("::").pop());
      expect(creates).toEqual(
        expect.arrayContaining([
          "runbooks-rotation-app-db-login",
          "runbooks-rotation-session-secret",
          "runbooks-rotation-service-key",
          "runbooks-rotation-vercel-env",
          "runbooks-rotation-github-secrets",
          "runbooks-rotation-rollout",
          "runbooks-rotation-app-db-login-revocation",
        ]),
      );
      expect(preview.changeSummary.create).toBeGreaterThan(8);
      expect(
        e.rotation!.saas.vercel.envValue("local-app", "DATABASE_URL", "production"),
      ).toBeUndefined();
    },
  );

  it(
    "up creates every credential, writes the sinks, redeploys once and the app serves the new login",
    STEP,
    async () => {
      const saas = e.rotation!.saas;
      saas.vercel.clearLog();
      const result = await e.up();
      expect(result.summary.result).toBe("succeeded");
      const db = await credential("app-db-login");
      expect(db.currentId).toBe(`${e.rotation!.roles.logins[0]}#g1`);
      expect(saas.vercel.envValue("local-app", "DATABASE_URL", "production")).toBe(db.current);
      expect(
        saas.github.secretValue(
          { owner: "local", repo: "app", environment: "production" },
          "APP_DATABASE_URL",
        ),
      ).toBe(db.current);
      expect(saas.app.servingEnv().DATABASE_URL).toBe(db.current);
      expect((await fetch(`${saas.appUrl}/api/health`)).status).toBe(200);
      const key = await credential("service-key");
      expect(saas.supabase.isValidKey(key.current)).toBe(true);
      expect(saas.vercel.count("POST /v13/deployments")).toBe(1);
      expect(saas.vercel.count("POST /v10/projects/{idOrName}/env")).toBe(1);
      expect(audit().map((a) => a.event)).toEqual(
        expect.arrayContaining(["created", "pushed", "deployed", "verified"]),
      );
    },
  );

  it("a second up changes nothing", STEP, async () => {
    const result = await e.up();
    const changes = Object.entries(result.summary.resourceChanges ?? {}).filter(
      ([op]) => op !== "same",
    );
    expect(changes).toEqual([]);
  });

  it(
    "a bumped epoch rotates that credential on the next up, with zero downtime",
    STEP,
    async () => {
      const before = await credential("app-db-login");
      await e.stack.setConfig("rotation.credentials[0].epoch", { value: "1" }, true);
      const result = await e.up();
      expect(result.summary.result).toBe("succeeded");
      const after = await credential("app-db-login");
      expect(after.generation).toBe(2);
      expect(after.currentId).toBe(`${e.rotation!.roles.logins[1]}#g2`);
      expect(after.previous).toBe(before.current);
      expect(await canConnect(before.current)).toBe(true);
      expect(await canConnect(after.current)).toBe(true);
      expect(e.rotation!.saas.app.servingEnv().DATABASE_URL).toBe(after.current);
    },
  );

  it(
    "npm run rotate -- --all: one up through the command rotates every credential and lists each step",
    STEP,
    async () => {
      const before = await resources(CREDENTIAL);
      // The command as `npm run rotate` runs it, on this suite's engine instead of .state/.
      const handle: StackHandle = { setEnv, up: (onEvent) => e.up({ onEvent }) };
      const out: string[] = [];
      const code = await runCommand(rotate, {
        argv: ["-s", "local", "--all", "--json"],
        env: {},
        stdout: (t) => out.push(t),
        stderr: () => undefined,
        deps: { openStack: async () => handle } satisfies Partial<RotateDeps>,
      });
      expect(code).toBe(0);
      const { report } = JSON.parse(out.join("\n")) as {
        report: { result: string; request: { rotate: unknown }; steps: RotateStep[] };
      };
      expect(report.result).toBe("succeeded");
      expect(report.request.rotate).toBe("all");
      const done = report.steps.filter((s) => s.status === "done").map((s) => s.resource);
      expect(done).toEqual(
        expect.arrayContaining([
          "runbooks-rotation-app-db-login",
          "runbooks-rotation-session-secret",
          "runbooks-rotation-service-key",
        ]),
      );
      expect(report.steps.filter((s) => s.status === "failed")).toEqual([]);
      for (const [name, now] of await resources(CREDENTIAL))
        expect(now.generation, name).toBe((before.get(name)!.generation as number) + 1);
      // The request acted once: a plain up afterwards changes nothing.
      const again = await e.up();
      expect(
        Object.entries(again.summary.resourceChanges ?? {}).filter(([op]) => op !== "same"),
      ).toEqual([]);
    },
  );

  it(
    "rotation due by age: a fixed clock past intervalDays rotates on up (staggered)",
    STEP,
    async () => {
      const before = await resources(CREDENTIAL);
      const later = new Date(Date.now() + 31 * 86_400_000).toISOString();
      setEnv("RUNBOOKS_ROTATION_CLOCK", later);
      try {
        const preview = await e.preview();
        expect(preview.changeSummary.update).toBeGreaterThan(0);
        expect((await e.up()).summary.result).toBe("succeeded");
      } finally {
        setEnv("RUNBOOKS_ROTATION_CLOCK", undefined);
      }
      const after = await resources(CREDENTIAL);
      const rotated = [...after]
        .filter(([n, o]) => o.generation !== before.get(n)!.generation)
        .map(([n]) => n);
      // app-db-login and session-secret are due; staggering lets one of them through per run.
      expect(rotated).toEqual(["app-db-login"]);
    },
  );

  describe.each(["created", "pushed", "deployed", "verified", "revoked"])(
    "a crash after '%s'",
    (step) => {
      it("converges on the re-run: no orphaned key, nothing revoked early", STEP, async () => {
        const before = await credential("service-key");
        const db = await credential("app-db-login");
        const request = JSON.stringify({
          id: `crash-${step}`,
          rotate: ["service-key", "app-db-login"],
        });
        await upKilledAfter(step, { [REQUEST_ENV]: request });
        // Killed mid-rotation: the previous credentials still work.
        if (step !== "revoked") {
          expect(e.rotation!.saas.supabase.isValidKey(before.current)).toBe(true);
          expect(await canConnect(db.current)).toBe(true);
        }
        setEnv(REQUEST_ENV, request);
        try {
          const result = await upAfterCrash();
          expect(result.summary.result).toBe("succeeded");
        } finally {
          setEnv(REQUEST_ENV, undefined);
        }
        const after = await credential("service-key");
        expect(after.generation).toBe(before.generation + 1);
        const known = new Set([after.currentId, after.state.previous?.id].filter(Boolean));
        const live = e
          .rotation!.saas.supabase.apiKeys("runbookslocalproject")
          .filter((k) => k.type === "secret")
          .map((k) => k.id);
        expect(new Set(live)).toEqual(known);
        const revocation = (await resources(REVOCATION)).get("service-key")!;
        expect(revocation.pending).toEqual([]);
        expect(e.rotation!.saas.app.servingEnv().DATABASE_URL).toBe(
          (await credential("app-db-login")).current,
        );
        expect((await fetch(`${e.rotation!.saas.appUrl}/api/health`)).status).toBe(200);
      });
    },
  );

  it(
    "emergency: the previous credential is revoked in the same run, after the gate",
    STEP,
    async () => {
      const before = await credential("app-db-login");
      setEnv(
        REQUEST_ENV,
        JSON.stringify({ id: "breach", rotate: ["app-db-login"], emergency: true }),
      );
      try {
        expect((await e.up()).summary.result).toBe("succeeded");
      } finally {
        setEnv(REQUEST_ENV, undefined);
      }
      const after = await credential("app-db-login");
      expect(await canConnect(before.current)).toBe(false);
      expect(await canConnect(after.current)).toBe(true);
      const events = audit().filter((a) => a.credential === "app-db-login");
      const last = (event: string) => events.map((a) => a.event as string).lastIndexOf(event);
      const verified = last("verified");
      const revoked = last("revoked");
      expect(revoked).toBeGreaterThan(verified);
    },
  );

  it(
    "no generated value, token or password is in the stored state, the engine output or the audit log",
    STEP,
    async () => {
      const values = new Set<string>(e.secretValues);
      for (const [, c] of await resources(CREDENTIAL)) {
        values.add(String(c.current));
        if (c.previous) values.add(String(c.previous));
        const password = /:\/\/[^:]+:([^@]+)@/.exec(String(c.current))?.[1];
        if (password) values.add(decodeURIComponent(password));
      }
      const list = [...values].filter((v) => v.length >= 8);
      expect(list.length).toBeGreaterThan(8);
      const stored = await e.storedExport();
      expect(leakedSecrets(stored.text, list)).toEqual([]);
      expect(leakedSecrets([...e.backendFiles().values()].join("\n"), list)).toEqual([]);
      const captured = e.captured();
      // Where each leak is, with every known value masked: enough to find the operation.
      const where = leakedSecrets(captured, list).map((i) => {
        const at = captured.indexOf(list[i]!);
        let context = captured.slice(Math.max(0, at - 300), at + 100);
        for (const v of list) context = context.split(v).join("<value>");
        return { i, context };
      });
      expect(where).toEqual([]);
      expect(credentialUrls(e.captured())).toEqual([]);
      expect(leakedSecrets(readFileSync(e.rotation!.auditFile, "utf8"), list)).toEqual([]);
    },
  );
});
