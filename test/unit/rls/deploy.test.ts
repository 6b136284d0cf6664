/**
 * deployRls under Pulumi mocks: which resources it registers, with which
 * inputs, and that the connection string stays secret all the way down.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it } from "vitest";
import {
  parseStackConfig,
  type LoadedStackConfig,
  type RawStackConfig,
} from "../../../infra/config/index";
import { deployRls, rlsTablesFor } from "../../../infra/rls/deploy";
import { APP_RLS_TABLES } from "../../../infra/local/example-app/rls";
import type { PolicySpec } from "../../../infra/rls/model";
import { installMocks, isSecretOutput, resolve, settle } from "../../support/mocks/mocks";

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const FAKE_URL = "postgres://postgres:FAKE-db-s3cr3t-51c2@db.fake.example:5432/postgres";

const recorder = installMocks({ stack: "local" });

beforeEach(() => recorder.reset());

function loaded(raw: RawStackConfig, stack = "local"): LoadedStackConfig {
  const parsed = parseStackConfig(raw, { stack, stackFile: `stacks/Pulumi.${stack}.yaml` });
  const secrets = { databaseUrl: pulumi.secret(FAKE_URL) };
  return {
    ...parsed,
    stack,
    project: "runbooks",
    secrets,
    secret: (key: string) => secrets[key as "databaseUrl"]!,
  };
}

const base: RawStackConfig = {
  owner: "test",
  features: {
    vercel: false,
    github: false,
    backupStorage: false,
    alerts: false,
    rls: true,
    backups: false,
    rotation: false,
  },
};

describe("deployRls", () => {
  it("registers nothing and exports nothing when the rls feature is off", async () => {
    const outputs = deployRls(
      loaded({ ...base, features: { ...(base.features as object), rls: false } }),
    );
    await settle();
    expect(outputs).toBeUndefined();
    expect(recorder.resources).toEqual([]);
  });

  it("local: one RlsTable per declared table under one RlsPolicies component, connection secret", async () => {
    const outputs = deployRls(loaded(base))!;
    expect(outputs.tables).toEqual([
      "public.agents",
      "public.plans",
      "public.projects",
      "public.tenant_members",
      "public.tenants",
      "public.user_preferences",
    ]);
    expect(outputs.policyCount).toBe(18);
    expect(outputs.providerVersion).toMatch(/^sha256:[0-9a-f]{16}$/);
    await resolve(outputs.drift!);
    await settle();
    expect(
      recorder.resources
        .filter((r) => r.type === "runbooks:postgres:RlsPolicies")
        .map((r) => r.name),
    ).toEqual(["runbooks-rls"]);
    const tables = recorder.resources.filter(
      (r) => r.type === "pulumi-nodejs:dynamic/runbooks-postgres:RlsTable",
    );
    expect(tables.map((r) => r.name).sort()).toEqual(
      APP_RLS_TABLES.map((t) => `runbooks-rls-public-${t.table}`).sort(),
    );
    const agents = tables.find((r) => r.name === "runbooks-rls-public-agents")!;
    expect(agents.inputs).toMatchObject({
      schema: "public",
      table: "agents",
      enabled: true,
      force: true,
      lockTimeoutSeconds: 5,
      lockRetries: 5,
      catalogSchemas: ["public"],
      providerVersion: outputs.providerVersion,
      // Tells the policy pack the table is tenant-scoped.
      tenantColumn: "tenant_id",
      tenantClaim: "tenant_id",
    });
    expect((agents.inputs.policies as PolicySpec[]).map((p) => p.name)).toEqual([
      "tenant_isolation_delete",
      "tenant_isolation_insert",
      "tenant_isolation_select",
      "tenant_isolation_update",
    ]);
    // The connection arrives as a secret, and the serialized provider does not carry it.
    const connection = agents.inputs.connection as Record<string, unknown>;
    expect(connection[SECRET_SIG_KEY]).toBeDefined();
    expect(connection.value).toBe(FAKE_URL);
    expect(String(agents.inputs.__provider)).not.toContain("FAKE-db-s3cr3t");
    expect(JSON.stringify(outputs.tables)).not.toContain("FAKE-db-s3cr3t");
  });

  it("keeps the connection secret on the resource's outputs", async () => {
    const { RlsTable } = await import("../../../infra/rls/rls-table");
    const table = new RlsTable("secret-check", {
      schema: "public",
      table: "agents",
      enabled: true,
      force: true,
      policies: [],
      connection: FAKE_URL,
      lockTimeoutSeconds: 1,
      lockRetries: 0,
      catalogSchemas: ["public"],
      privileges: {},
    });
    const connection = (table as unknown as { connection: pulumi.Output<string> }).connection;
    expect(await isSecretOutput(connection)).toBe(true);
  });

  it("merges stack config and TypeScript declarations and refuses a table declared in both", () => {
    const config = loaded({
      ...base,
      rls: {
        tables: [
          {
            table: "audit_log",
            publicRead: false,
            policies: [{ name: "svc", roles: ["service_role"], using: "true" }],
          },
        ],
      },
    });
    expect(rlsTablesFor(config, "local").map((t) => t.table)).toContain("audit_log");
    const clash = loaded({
      ...base,
      rls: { tables: [{ table: "agents", tenantColumn: "tenant_id" }] },
    });
    expect(() => deployRls(clash)).toThrow(
      "RLS for public.agents is declared both in stacks/Pulumi.local.yaml (runbooks:rls.tables) and in TypeScript; keep one of them",
    );
  });

  it("other stacks take their tables from config only", () => {
    const config = loaded(
      { ...base, rls: { tables: [{ table: "agents", tenantColumn: "tenant_id" }] } },
      "staging",
    );
    expect(rlsTablesFor(config, "staging").map((t) => t.table)).toEqual(["agents"]);
  });
});
