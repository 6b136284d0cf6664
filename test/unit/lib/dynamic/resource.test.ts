/**
 * Every dynamic resource registers under the token pulumi.dynamic.Resource
 * would use (URNs and existing state unchanged) with `__provider` set to the
 * loader module for its own provider id, a few hundred bytes, never the
 * closure-serialized object.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it } from "vitest";
import { BACKUP_JOB_PROVIDER_ID } from "../../../../infra/backups/provider";
import { loaderModule } from "../../../../infra/lib/dynamic/stub";
import { LoadedDynamicResource } from "../../../../infra/lib/dynamic/resource";
import { RLS_TABLE_PROVIDER_ID } from "../../../../infra/rls/provider";
import { installMocks, settle } from "../../../support/mocks/mocks";

const recorder = installMocks({ stack: "local" });
beforeEach(() => recorder.reset());

const URL = "postgres://owner:FAKE-pw-7d1e@db.fake.example:5432/app";

describe("LoadedDynamicResource", () => {
  it("RlsTable and BackupJob register the dynamic token with their own loader module", async () => {
    const { RlsTable } = await import("../../../../infra/rls/rls-table");
    const { BackupJob } = await import("../../../../infra/backups/backup-job");
    new RlsTable("t", {
      schema: "public",
      table: "agents",
      enabled: true,
      force: true,
      policies: [],
      connection: pulumi.secret(URL),
      lockTimeoutSeconds: 5,
      lockRetries: 1,
      catalogSchemas: ["public"],
      privileges: {},
    });
    new BackupJob("b", {
      connection: pulumi.secret(URL),
    } as unknown as ConstructorParameters<typeof BackupJob>[1]);
    await settle();
    const rls = recorder.one("pulumi-nodejs:dynamic/runbooks-postgres:RlsTable");
    const job = recorder.one("pulumi-nodejs:dynamic/runbooks-backups:BackupJob");
    expect(rls.inputs.__provider).toBe(loaderModule(RLS_TABLE_PROVIDER_ID));
    expect(job.inputs.__provider).toBe(loaderModule(BACKUP_JOB_PROVIDER_ID));
    expect(String(rls.inputs.__provider).length).toBeLessThan(1_000);
    expect(String(rls.inputs.__provider)).not.toContain("FAKE-pw");
  });

  it("refuses a __provider of the caller's own", () => {
    class Custom extends LoadedDynamicResource {
      constructor() {
        super("runbooks:x:Y", "c", { __provider: "exports.handler = () => ({})" }, {}, "m", "Y");
      }
    }
    expect(() => new Custom()).toThrow("Y c: __provider is set by the loader");
  });
});

/**
 * The module's handler as the provider host runs it, with the checkout recorded at
 * /recorded/checkout, on a file system where `exists` says which files are there.
 * The boot file it finds "loads" as `{ providerId, from }`.
 */
function loaderHandler(providerId: string, exists: (file: string) => boolean, cwd: string) {
  const text = loaderModule(providerId, "/recorded/checkout");
  const module = { exports: {} as { handler?: () => unknown } };
  const fakeRequire = (id: string) => {
    if (id === "node:path") return require("node:path");
    if (id === "node:fs") return { existsSync: exists };
    return { load: (loaded: string) => ({ providerId: loaded, from: id }) };
  };
  new Function("exports", "require", "process", text)(module.exports, fakeRequire, {
    cwd: () => cwd,
  });
  return module.exports.handler!;
}

describe("loaderModule", () => {
  it("is CommonJS whose handler loads boot.cjs from the working directory, then the recorded checkout", () => {
    const handler = loaderHandler(
      "runbooks:rls:RlsTable",
      (f) => f.startsWith("/recorded/"),
      "/elsewhere",
    );
    expect(handler()).toEqual({
      providerId: "runbooks:rls:RlsTable",
      from: "/recorded/checkout/infra/lib/dynamic/boot.cjs",
    });
  });

  it("prefers the working directory's checkout when both have the code (the one running pulumi wins)", () => {
    const handler = loaderHandler("runbooks:backups:BackupJob", () => true, "/running/checkout");
    expect(handler()).toEqual({
      providerId: "runbooks:backups:BackupJob",
      from: "/running/checkout/infra/lib/dynamic/boot.cjs",
    });
  });

  it("names both places and the fix when neither has the code", () => {
    const handler = loaderHandler("runbooks:rls:RlsTable", () => false, "/elsewhere");
    expect(() => handler()).toThrow(
      "dynamic provider 'runbooks:rls:RlsTable' not found: no " +
        "/elsewhere/infra/lib/dynamic/boot.cjs or /recorded/checkout/infra/lib/dynamic/boot.cjs. " +
        "Run pulumi in the runbooks checkout (with Pulumi.yaml) after 'npm ci'.",
    );
  });
});
