/**
 * The provider's check and diff are pure (no database): what makes an update,
 * what makes a replacement, and what check rewrites.
 */
import { describe, expect, it } from "vitest";
import type { LiveTableState } from "../../../infra/rls/catalog";
import { declareTable } from "../../../infra/rls/model";
import { checkRlsTableInputs as checkInputs } from "../../../infra/rls/inputs";
import {
  createRlsTableProvider,
  type RlsTableInputs,
  type RlsTableOutputs,
} from "../../../infra/rls/provider";

const spec = declareTable({ table: "agents", tenant: { column: "tenant_id" } });
const inputs: RlsTableInputs = {
  schema: "public",
  table: "agents",
  enabled: true,
  force: true,
  policies: spec.policies,
  connection: "postgres://u:p@h/db",
  lockTimeoutSeconds: 5,
  lockRetries: 5,
  catalogSchemas: ["public"],
  providerVersion: "v1",
};
const state: LiveTableState = {
  exists: true,
  enabled: true,
  force: true,
  policies: spec.policies.map((p) => ({
    name: p.name,
    command: p.command,
    mode: p.mode,
    roles: p.roles,
    using: p.using && `(${p.using})`,
    withCheck: p.withCheck && `(${p.withCheck})`,
  })),
};
const olds: RlsTableOutputs = { ...inputs, expected: state, live: state, drift: [] };
const provider = createRlsTableProvider({ cacheScope: "unit" });

describe("diff", () => {
  it("no change for the same declaration, whatever the lock settings", async () => {
    expect(
      await provider.diff!("public.agents", olds, {
        ...inputs,
        lockTimeoutSeconds: 1,
        lockRetries: 0,
      }),
    ).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("an update for a policy change, a new connection string, or drift seen by refresh", async () => {
    const widened = {
      ...inputs,
      policies: inputs.policies.map((p) => ({ ...p, roles: ["anon", "authenticated"] })),
    };
    expect((await provider.diff!("public.agents", olds, widened)).changes).toBe(true);
    expect(
      (
        await provider.diff!("public.agents", olds, {
          ...inputs,
          connection: "postgres://u:rotated@h/db",
        })
      ).changes,
    ).toBe(true);
    const drifted: RlsTableOutputs = { ...olds, live: { ...state, enabled: false } };
    expect(await provider.diff!("public.agents", drifted, inputs)).toMatchObject({
      changes: true,
      replaces: [],
    });
  });

  it("new provider code alone is no change: the declaration decides, so a release locks no table", async () => {
    expect(
      await provider.diff!("public.agents", olds, { ...inputs, providerVersion: "v2" }),
    ).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("a different table is a replacement (create the new one first)", async () => {
    expect(await provider.diff!("public.agents", olds, { ...inputs, table: "agents_v2" })).toEqual({
      changes: true,
      replaces: ["table"],
      deleteBeforeReplace: false,
    });
  });
});

describe("check", () => {
  it("canonicalizes: defaults, sorted roles and policies, auth calls wrapped", async () => {
    const { inputs: out, failures } = await checkInputs({
      ...inputs,
      enabled: undefined,
      catalogSchemas: ["storage", "public", "public"],
      policies: [
        { name: "z", command: "SELECT", roles: ["b", "a"], using: "owner = auth.uid()" },
        { name: "a", withCheck: "true" },
      ],
    });
    expect(failures).toEqual([]);
    expect(out.enabled).toBe(true);
    expect(out.catalogSchemas).toEqual(["public", "storage"]);
    expect(out.policies).toEqual([
      {
        name: "a",
        command: "ALL",
        mode: "PERMISSIVE",
        roles: ["public"],
        using: null,
        withCheck: "true",
      },
      {
        name: "z",
        command: "SELECT",
        mode: "PERMISSIVE",
        roles: ["a", "b"],
        using: "owner = (select auth.uid())",
        withCheck: null,
      },
    ]);
  });

  it("rejects bad settings and reserved names, each under its property", async () => {
    const { failures } = await checkInputs({
      ...inputs,
      lockTimeoutSeconds: 0,
      lockRetries: 1.5,
      enabled: "yes",
      policies: [
        { name: "__runbooks_normalize_0", command: "MERGE", using: "true" },
        { name: "p" },
      ],
    });
    expect(failures.map((f) => f.property)).toEqual([
      "enabled",
      "lockTimeoutSeconds",
      "lockRetries",
      "policies[0].name",
      "policies[0].command",
      "policies[1]",
    ]);
  });

  it("leaves values the engine does not know yet (preview) alone", async () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const { failures } = await checkInputs({
      ...inputs,
      connection: unknown,
      lockRetries: unknown,
    });
    expect(failures).toEqual([]);
  });
});
