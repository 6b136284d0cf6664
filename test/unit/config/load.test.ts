/**
 * `loadStackConfig` against the Pulumi runtime's own config (mocks), with
 * secrets marked or not marked secret the way the engine does it, so the
 * plaintext check is exercised through the lookup the program really uses.
 */
import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadStackConfig } from "../../../infra/config/index";
import { isStoredAsSecret } from "../../../infra/config/load";
import { installMocks, resolve } from "../../support/mocks/mocks";

const DB_URL = "postgres://postgres:FAKE-load-s3cr3t-77aa@db.fake.supabase.co:5432/postgres";

/** The local stack's settings: RLS, backups and rotation, so only databaseUrl is needed. */
const SETTINGS: Record<string, string> = {
  "runbooks:owner": "local-developer",
  "runbooks:features": JSON.stringify({
    vercel: false,
    github: false,
    backupStorage: false,
    alerts: false,
    rls: true,
    backups: true,
    rotation: true,
  }),
  "runbooks:database": JSON.stringify({ urlSecretRef: "databaseUrl", lockRetries: 3 }),
};

function setConfig(extra: Record<string, string>, secretKeys: string[]): void {
  pulumi.runtime.setAllConfig({ ...SETTINGS, ...extra }, secretKeys);
}

function loadError(): ConfigError {
  try {
    loadStackConfig();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

const runtime = pulumi.runtime as unknown as { isConfigSecret?: unknown };
const isConfigSecret = runtime.isConfigSecret;
const secretKeysEnv = process.env.PULUMI_CONFIG_SECRET_KEYS;

beforeAll(() => {
  installMocks({ project: "runbooks", stack: "local" });
});

afterEach(() => {
  runtime.isConfigSecret = isConfigSecret;
  if (secretKeysEnv === undefined) delete process.env.PULUMI_CONFIG_SECRET_KEYS;
  else process.env.PULUMI_CONFIG_SECRET_KEYS = secretKeysEnv;
});

describe("loadStackConfig: secrets at run time", () => {
  it("hands on a secret stored encrypted as a Pulumi secret", async () => {
    setConfig({ "runbooks:databaseUrl": DB_URL }, ["runbooks:databaseUrl"]);
    const config = loadStackConfig();
    expect(config.database.lockRetries).toBe(3);
    expect(config.context).toEqual({ stack: "local", stackFile: "stacks/Pulumi.local.yaml" });
    const secret = config.secret("databaseUrl");
    expect(await pulumi.isSecret(secret)).toBe(true);
    expect(await resolve(secret)).toBe(DB_URL);
  });

  it("refuses the connection string stored in plain text, naming the key and never the value", () => {
    setConfig({ "runbooks:databaseUrl": DB_URL }, []);
    const err = loadError();
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:databaseUrl"]);
    expect(err.problems[0]!.message).toContain("stored in plain text");
    expect(err.problems[0]!.fix).toContain("pulumi config set --secret databaseUrl");
    expect(err.message).not.toContain("FAKE-load-s3cr3t");
  });

  it("refuses a plaintext secret even when other keys are secret", () => {
    setConfig({ "runbooks:databaseUrl": DB_URL, "runbooks:other": "x" }, ["runbooks:other"]);
    expect(loadError().problems.map((p) => p.message)).toEqual([
      expect.stringContaining("is stored in plain text"),
    ]);
  });

  it("names the secret that is missing and the command that sets it", () => {
    setConfig({}, []);
    expect(loadError().problems).toEqual([
      expect.objectContaining({
        key: "runbooks:databaseUrl",
        message: expect.stringContaining("but not set"),
        fix: expect.stringContaining("pulumi config set --secret databaseUrl 'postgres://"),
      }),
    ]);
  });

  it("without runtime.isConfigSecret, reads which keys are secret from PULUMI_CONFIG_SECRET_KEYS", () => {
    runtime.isConfigSecret = undefined;
    setConfig({ "runbooks:databaseUrl": DB_URL }, []);
    process.env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(["runbooks:databaseUrl"]);
    expect(loadStackConfig().secrets).toHaveProperty("databaseUrl");
    process.env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(["runbooks:somethingElse"]);
    expect(loadError().problems[0]!.message).toContain("stored in plain text");
  });

  it("isStoredAsSecret: the SDK's answer first, then the environment, else not secret", () => {
    const key = "runbooks:databaseUrl";
    const env = { PULUMI_CONFIG_SECRET_KEYS: JSON.stringify([key]) };
    expect(isStoredAsSecret(key, { isConfigSecret: () => false }, env)).toBe(false);
    expect(isStoredAsSecret(key, { isConfigSecret: (k: string) => k === key }, {})).toBe(true);
    expect(isStoredAsSecret(key, {}, env)).toBe(true);
    expect(isStoredAsSecret(key, {}, {})).toBe(false);
    // An unreadable list must not make a plaintext value pass as secret.
    expect(isStoredAsSecret(key, {}, { PULUMI_CONFIG_SECRET_KEYS: "not json" })).toBe(false);
  });
});

describe("loadStackConfig: settings as the engine passes them", () => {
  it("reports a wrong type and an unknown key the same way parseStackConfig does", () => {
    setConfig(
      {
        "runbooks:databaseUrl": DB_URL,
        "runbooks:database": JSON.stringify({ lockRetries: 2.5, lockRetrys: 3 }),
      },
      ["runbooks:databaseUrl"],
    );
    expect(loadError().problems.map((p) => [p.key, p.message])).toEqual([
      ["runbooks:database.lockRetries", "must be a whole number, but is 2.5"],
      ["runbooks:database", "unknown key 'lockRetrys'; did you mean 'lockRetries'?"],
    ]);
  });

  it("reads a top-level scalar where a mapping belongs as text, and says so", () => {
    setConfig({ "runbooks:databaseUrl": DB_URL, "runbooks:database": "public" }, [
      "runbooks:databaseUrl",
    ]);
    expect(loadError().problems.map((p) => p.message)).toEqual([
      "must be a mapping of keys, but is the string 'public'",
    ]);
  });

  it("tells to remove a plain key nothing uses", () => {
    setConfig({ "runbooks:databaseUrl": DB_URL, "runbooks:featurs": "{}" }, [
      "runbooks:databaseUrl",
    ]);
    expect(loadError().problems).toEqual([
      expect.objectContaining({
        key: "runbooks:featurs",
        message: "is not a setting of this program; did you mean 'features'?",
        fix: expect.stringContaining("remove 'runbooks:featurs' from stacks/Pulumi.local.yaml"),
      }),
    ]);
  });

  it("takes aws:region when runbooks:aws is absent", () => {
    setConfig({ "runbooks:databaseUrl": DB_URL, "aws:region": "eu-west-3" }, [
      "runbooks:databaseUrl",
    ]);
    expect(loadStackConfig().aws?.region).toBe("eu-west-3");
  });

  it("a secret nothing declared is refused with the fix", () => {
    setConfig({ "runbooks:databaseUrl": DB_URL }, ["runbooks:databaseUrl"]);
    const config = loadStackConfig();
    expect(() => config.secret("stripeKey")).toThrow(
      /runbooks:stripeKey: secret was not declared by any setting that needs it/,
    );
  });
});
