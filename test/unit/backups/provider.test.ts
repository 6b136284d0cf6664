/**
 * The BackupJob provider's decisions without S3 or Postgres: what `check`
 * refuses, and which changes `diff` turns into an update (and so a backup).
 */
import { describe, expect, it } from "vitest";
import { createBackupJobProvider, type BackupJobOutputs } from "../../../infra/backups/provider";
import type { BackupJobInputs } from "../../../infra/backups/inputs";

const INPUTS: BackupJobInputs = {
  stack: "local",
  connection: "postgres://u:pw@127.0.0.1:5432/db",
  bucket: "runbooks-local-backups",
  prefix: "postgres/local/",
  region: "us-east-1",
  endpoint: "http://127.0.0.1:9000",
  schedule: "17 3 * * *",
  retentionDays: 90,
  maxAgeHours: 26,
  jobs: 1,
  lockWaitTimeoutSeconds: 30,
  exactCountMaxRows: 1000,
  trigger: "rls:aaaa",
  providerVersion: "sha256:1",
};

/** State after a create: the inputs plus outputs (what `diff` gets as olds). */
const STATE: BackupJobOutputs = {
  ...INPUTS,
  latest: { id: "x", key: "k", sha256: "s", size: 1, time: "2026-01-01T00:00:00Z" },
  stale: false,
  onDelete: "kept",
};

/** News as the engine passes them: the resource declares its outputs as undefined inputs. */
const news = (over: Partial<BackupJobInputs> = {}) =>
  ({
    ...INPUTS,
    latest: undefined,
    stale: undefined,
    onDelete: undefined,
    ...over,
  }) as unknown as BackupJobInputs;

describe("BackupJob diff", () => {
  const provider = createBackupJobProvider();

  it("sees no change when nothing but the provider version changed", async () => {
    expect((await provider.diff("id", STATE, news({ providerVersion: "sha256:2" }))).changes).toBe(
      false,
    );
  });

  it.each([
    ["trigger", "rls:bbbb"],
    ["prefix", "postgres/other/"],
    ["schedule", "0 1 * * *"],
    ["retentionDays", 30],
    ["connection", "postgres://u:pw2@h/db"],
  ] as const)("sees a change of %s", async (key, value) => {
    expect((await provider.diff("id", STATE, news({ [key]: value }))).changes).toBe(true);
  });

  it("sees a stale job as a change, so `up` after a refresh that found it stale backs up", async () => {
    expect((await provider.diff("id", { ...STATE, stale: true }, news())).changes).toBe(true);
  });

  it("never replaces: a new location is an update that backs up there", async () => {
    expect((await provider.diff("id", STATE, news({ bucket: "other-bucket" }))).replaces).toEqual(
      [],
    );
  });

  it("updates without a backup (keeping the latest) when only the schedule changed", async () => {
    const { outs } = await provider.update("id", STATE, news({ schedule: "0 1 * * *" }));
    expect(outs).toMatchObject({ schedule: "0 1 * * *", latest: STATE.latest, stale: false });
  });
});

describe("BackupJob check", () => {
  const provider = createBackupJobProvider();

  it("refuses what the config schema refuses, naming the property", async () => {
    const { failures } = await provider.check!(
      INPUTS,
      news({ prefix: "/abs", jobs: 0, schedule: "daily", bucket: "Bad_Bucket" }),
    );
    expect((failures ?? []).map((f) => f.property).sort()).toEqual([
      "bucket",
      "jobs",
      "prefix",
      "schedule",
    ]);
  });

  it("passes values the engine does not know yet", async () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const { failures } = await provider.check!(
      INPUTS,
      news({ bucket: unknown, connection: unknown }),
    );
    expect(failures).toEqual([]);
  });
});

describe("S3 clients", () => {
  it("leave the credentials they are given untouched (the SDK annotates the object it gets)", async () => {
    const { s3Client } = await import("../../../infra/backups/s3");
    const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "example-secret" };
    const client = s3Client({
      bucket: "b",
      prefix: "p/",
      region: "us-east-1",
      endpoint: "http://127.0.0.1:1",
      credentials,
    });
    await client.config.credentials();
    client.destroy();
    expect(credentials).toEqual({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "example-secret" });
  });
});
