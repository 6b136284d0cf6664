/**
 * Secret hygiene through the real engine. After `up`, the database password
 * and the URL carrying it appear nowhere in the stored state, the raw backend
 * files, the stack's config file, the stack history or anything the engine
 * printed. The serialized dynamic provider carries no credentials. A failing
 * `up` with a wrong password prints neither password and leaves the database
 * as it was.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  RLS_TABLE_TYPE,
  SECRET_SIG,
  createE2eStack,
  credentialUrls,
  leakedSecrets,
  rlsState,
  withoutSecretEnvelopes,
  type E2eStack,
} from "../support/engine";
import { stacksDirStatus } from "./guard";

const STEP = { timeout: 300_000 };

let e: E2eStack;
let stacksBefore: string;

/** Fails naming where a secret (by index into the list, never its value) or a credential URL was found. */
function expectClean(where: string, text: string, secrets: readonly string[] = e.secretValues) {
  expect(leakedSecrets(text, secrets), `secret values (by index) in ${where}`).toEqual([]);
  expect(credentialUrls(text), `URLs with credentials in ${where}`).toEqual([]);
}

beforeAll(async () => {
  stacksBefore = stacksDirStatus();
  e = await createE2eStack("secrets");
  const result = await e.up();
  expect(result.summary.result).toBe("succeeded");
}, 300_000);

afterAll(async () => {
  await e?.dispose();
});

describe("secrets stay secret through the engine", () => {
  it("the stack's config file holds databaseUrl only as ciphertext", () => {
    const text = readFileSync(e.configFile, "utf8");
    const parsed = parseYaml(text) as { config: Record<string, unknown>; encryptionsalt?: string };
    expect(parsed.encryptionsalt).toMatch(/^v1:/);
    expect(parsed.config["runbooks:databaseUrl"]).toEqual({
      secure: expect.stringMatching(/^v1:[A-Za-z0-9+/=:]+$/),
    });
    // The plain keys came from stacks/Pulumi.local.yaml, the endpoint from the harness.
    expect(parsed.config["runbooks:features"]).toMatchObject({ rls: true, vercel: false });
    expect(parsed.config["runbooks:backup"]).toMatchObject({ endpoint: expect.any(String) });
    expectClean("the stack config file", text);
    expect(text).not.toContain(e.db.ownerRole);
  });

  it("stored state holds the connection only as ciphertext", STEP, async () => {
    const { text, resources } = await e.storedExport();
    expectClean("`pulumi stack export`", text);
    const tables = resources.filter((r) => r.type === RLS_TABLE_TYPE);
    expect(tables).toHaveLength(6);
    for (const r of tables) {
      for (const side of ["inputs", "outputs"] as const) {
        expect(r[side]?.connection, `${r.id} ${side}.connection`).toEqual({
          [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270",
          ciphertext: expect.stringMatching(/^v1:/),
        });
      }
    }
  });

  it("the decrypted export has the connection only inside secret values", STEP, async () => {
    // Stack.exportStack() runs `stack export --show-secrets`, so the values are
    // there; what must hold is that the engine marks every one of them secret.
    const exported = await e.stack.exportStack();
    // (This also shows the two detectors do find the real values.)
    expect(leakedSecrets(JSON.stringify(exported), e.secretValues)).not.toEqual([]);
    expect(credentialUrls(JSON.stringify(exported))).not.toEqual([]);
    expectClean(
      "the export outside secret values",
      JSON.stringify(withoutSecretEnvelopes(exported)),
    );
  });

  it("the serialized dynamic provider carries no credentials", STEP, async () => {
    const { resources } = await e.storedExport();
    const providers = resources
      .filter((r) => r.type === RLS_TABLE_TYPE)
      .map((r) => String(r.outputs?.__provider ?? ""));
    expect(providers).toHaveLength(6);
    for (const serialized of new Set(providers)) {
      // Really the providers' loader (it requires infra/lib/dynamic/boot.cjs at run time),
      // not an empty or encrypted placeholder, and small enough that checkpoints stay cheap.
      expect(serialized).toContain('"runbooks:rls:RlsTable"');
      expect(serialized).toContain("infra/lib/dynamic/boot.cjs");
      expect(serialized.length).toBeLessThan(1_000);
      expectClean("__provider", serialized);
      expect(serialized).not.toContain("postgres://");
      expect(serialized).not.toContain(e.db.ownerRole);
      expect(serialized).not.toContain(e.db.name);
      expect(serialized).not.toMatch(/127\.0\.0\.1:\d+/);
    }
  });

  it("the raw files of the file backend contain no secret", () => {
    const files = e.backendFiles();
    const state = [...files.keys()].filter((f) => /\.json$/.test(f));
    expect(state.length).toBeGreaterThan(0);
    // Guard against checking nothing: the stack's state with its encrypted connection is among them.
    expect(
      [...files.values()].some((t) => t.includes(RLS_TABLE_TYPE) && t.includes(SECRET_SIG)),
    ).toBe(true);
    for (const [path, text] of files) expectClean(`backend file ${path}`, text);
  });

  it("stack history and outputs contain no secret", STEP, async () => {
    const history = await e.stack.history(undefined, undefined, false);
    expect(history.length).toBeGreaterThan(0);
    expect(history[0]?.config["runbooks:databaseUrl"]?.secret).toBe(true);
    expectClean("stack history", JSON.stringify(history));
    expectClean("stack outputs", JSON.stringify(await e.stack.outputs()));
  });

  it(
    "a failing up with a wrong password names the problem, prints neither password and changes nothing",
    STEP,
    async () => {
      const wrongPassword = randomBytes(24).toString("base64url");
      const wrongUrl = new URL(e.db.url);
      wrongUrl.password = wrongPassword;
      const set = await e.cli(["config", "set", "--secret", "databaseUrl", "-s", e.stackName], {
        stdin: wrongUrl.toString(),
        op: "config set --secret databaseUrl (wrong)",
      });
      expect(set.code).toBe(0);
      // Drift to repair as well: a failed repair must leave it exactly as it is.
      await e.db.sql(`drop policy member_read on public.tenants`);
      await e.refresh();
      const before = await rlsState(e.db);
      expect(before.tenants?.policies).toEqual([]);

      let failure: unknown;
      await e.up().catch((err: unknown) => (failure = err));
      expect(failure, "up with a wrong password must fail").toBeInstanceOf(Error);
      const message = String(failure);
      const secrets = [...e.secretValues, wrongPassword, wrongUrl.toString()];
      expectClean("the failed up's error", message, secrets);
      expectClean("all engine output so far", e.captured(), secrets);
      expectClean("the stored state after the failed up", (await e.storedExport()).text, secrets);
      expect(await rlsState(e.db)).toEqual(before);
      // What failed and where, so the on-call engineer knows which secret to fix.
      expect(message).toMatch(/password authentication failed/);
      expect(message).toContain(`127.0.0.1:${new URL(e.db.url).port}/${e.db.name}`);
    },
  );

  it("all engine output of the suite contains no secret", () => {
    const output = e.captured();
    // Guard against checking nothing: the engine's reports were captured.
    expect(output).toMatch(/resourcePreEvent/);
    expect(output).toMatch(/runbooks-rls-public-tenants/);
    expectClean("captured engine output", output);
  });

  it("never touched the committed stack files", () => {
    expect(stacksDirStatus()).toBe(stacksBefore);
  });
});
