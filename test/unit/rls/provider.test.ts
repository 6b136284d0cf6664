/**
 * The provider's check and diff decision are pure (no database): what makes
 * an update, what makes a replacement, and what check rewrites.
 */
import { describe, expect, it } from "vitest";
import type { LiveTableState } from "../../../infra/rls/catalog";
import { declareTable } from "../../../infra/rls/model";
import { checkRlsTableInputs as checkInputs } from "../../../infra/rls/inputs";
import { decideDiff } from "../../../infra/rls/decide";
import type { RlsTableInputs, RlsTableOutputs } from "../../../infra/rls/provider";

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

describe("decideDiff (the provider's diff against the live table)", () => {
  const same = { changes: false, replaces: [], reasons: [] };

  it("no change for the same declaration and an untouched table, whatever the lock settings", () => {
    expect(decideDiff(olds, { ...inputs, lockTimeoutSeconds: 1, lockRetries: 0 }, state)).toEqual(
      same,
    );
  });

  it("an update for a policy change or a new connection string, each with its reason", () => {
    const widened = {
      ...inputs,
      policies: inputs.policies.map((p) => ({ ...p, roles: ["anon", "authenticated"] })),
    };
    expect(decideDiff(olds, widened, state)).toMatchObject({
      changes: true,
      reasons: [
        "declaration changed (policies)",
        expect.stringMatching(/^up will alter policy tenant_isolation_delete \(roles\)/),
      ],
    });
    expect(decideDiff(olds, { ...inputs, connection: "postgres://u:rotated@h/db" }, state)).toEqual(
      {
        changes: true,
        replaces: [],
        reasons: ["the connection string changed (recorded; no SQL)"],
      },
    );
  });

  it("a policy added by hand is an update that drops it, although state saw nothing", () => {
    const sneaky = {
      name: "sneaky",
      command: "SELECT" as const,
      mode: "PERMISSIVE" as const,
      roles: ["anon"],
      using: "true",
      withCheck: null,
    };
    const live = { ...state, policies: [...state.policies, sneaky] };
    expect(decideDiff(olds, inputs, live)).toEqual({
      changes: true,
      replaces: [],
      reasons: [
        "live differs from the last apply: policy sneaky was added out of band (PERMISSIVE SELECT to anon)",
        "up will drop policy sneaky (not declared)",
      ],
    });
  });

  it("an expression edited by hand is restored, and one a killed up committed is reverted", () => {
    const edited = {
      ...state,
      policies: state.policies.map((p) =>
        p.name === "tenant_isolation_select" ? { ...p, using: "true" } : p,
      ),
    };
    expect(decideDiff(olds, inputs, edited)).toMatchObject({
      changes: true,
      reasons: [
        expect.stringContaining("policy tenant_isolation_select: USING changed"),
        "up will alter policy tenant_isolation_select (USING)",
      ],
    });
  });

  it("new provider code alone is no change: the declaration decides, so a release locks no table", () => {
    expect(decideDiff(olds, { ...inputs, providerVersion: "v2" }, state)).toEqual(same);
  });

  it("a different table is a replacement (create the new one first), without reading it", () => {
    expect(decideDiff(olds, { ...inputs, table: "agents_v2" }, undefined)).toEqual({
      changes: true,
      replaces: ["table"],
      reasons: ["table changed: a new resource"],
    });
  });

  it("without a known connection (preview of a new secret), the drift the last refresh saw decides", () => {
    const drifted: RlsTableOutputs = { ...olds, live: { ...state, enabled: false } };
    expect(decideDiff(drifted, inputs, undefined)).toEqual({
      changes: true,
      replaces: [],
      reasons: ["the last refresh saw: row level security was DISABLED out of band"],
    });
    expect(decideDiff(olds, inputs, undefined)).toEqual(same);
  });

  it("without a known connection, state with no live (the refresh found it in sync) is no change", () => {
    const { live: _omitted, ...inSync } = olds;
    expect(decideDiff(inSync, inputs, undefined)).toEqual(same);
  });

  it("state from before privileges were managed: no change when live grants match, an update that says so when not", () => {
    const declared = {
      anon: [],
      authenticated: ["SELECT", "INSERT", "UPDATE", "DELETE"],
      public: [],
    };
    const news = { ...inputs, privileges: declared } as RlsTableInputs;
    const matching = {
      ...state,
      privileges: { authenticated: declared.authenticated },
    } as LiveTableState;
    expect(decideDiff(olds, news, matching)).toEqual(same);
    const supabaseDefaults = {
      ...state,
      privileges: {
        anon: ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"],
        authenticated: [
          "SELECT",
          "INSERT",
          "UPDATE",
          "DELETE",
          "TRUNCATE",
          "REFERENCES",
          "TRIGGER",
        ],
      },
    } as LiveTableState;
    expect(decideDiff(olds, news, supabaseDefaults)).toEqual({
      changes: true,
      replaces: [],
      reasons: [
        "up will revoke SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER from anon; revoke TRUNCATE, REFERENCES, TRIGGER from authenticated",
      ],
    });
  });

  it("drift recorded by a refresh that is gone by now still updates, so state stops reporting it", () => {
    const stale: RlsTableOutputs = {
      ...olds,
      drift: ["row level security was DISABLED out of band"],
    };
    expect(decideDiff(stale, inputs, state)).toMatchObject({
      changes: true,
      reasons: ["the drift the last refresh recorded is gone; up records that"],
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
