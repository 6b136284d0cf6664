import { describe, expect, it } from "vitest";
import { declareTable } from "../../../infra/rls/model";
import {
  claimsFor,
  probesFor,
  renderMatrix,
  seedValue,
  skipReason,
  type ColumnInfo,
  type ProbeResult,
} from "../../../infra/rls/smoke-plan";

const ids = { tenantA: "ta", tenantB: "tb", userA: "ua", userB: "ub" };

function expectations(spec: ReturnType<typeof declareTable>) {
  return Object.fromEntries(
    probesFor(spec).map((p) => [`${p.actor} ${p.row} ${p.command}`, p.expected]),
  );
}

describe("probesFor", () => {
  it("tenant tables: own rows fully allowed, the other tenant's rows and anon fully denied, service_role allowed", () => {
    const e = expectations(declareTable({ table: "agents", tenant: { column: "tenant_id" } }));
    for (const command of ["SELECT", "INSERT", "UPDATE", "DELETE"]) {
      expect(e[`tenant_a a ${command}`]).toBe("allowed");
      expect(e[`tenant_a b ${command}`]).toBe("denied");
      expect(e[`tenant_b a ${command}`]).toBe("denied");
      expect(e[`anon a ${command}`]).toBe("denied");
      expect(e[`service_role a ${command}`]).toBe("allowed");
    }
    expect(
      probesFor(declareTable({ table: "agents", tenant: { column: "tenant_id" } })),
    ).toHaveLength(24);
  });

  it("public tables: everyone reads, only service_role writes", () => {
    const e = expectations(declareTable({ table: "plans", publicRead: true }));
    expect(e["anon a SELECT"]).toBe("allowed");
    expect(e["tenant_a b SELECT"]).toBe("allowed");
    expect(e["anon a INSERT"]).toBe("denied");
    expect(e["tenant_a a UPDATE"]).toBe("denied");
    expect(e["service_role a DELETE"]).toBe("allowed");
  });

  it("skips tables whose policies state no isolation, and tables declared without RLS", () => {
    expect(
      skipReason(declareTable({ table: "x", policies: [{ name: "p", using: "true" }] })),
    ).toContain("no tenantColumn");
    expect(skipReason(declareTable({ table: "x", enabled: false, tenant: { column: "t" } }))).toBe(
      "RLS is declared disabled",
    );
    expect(skipReason(declareTable({ table: "x", owner: { column: "user_id" } }))).toBeUndefined();
  });
});

describe("claimsFor", () => {
  it("puts the tenant where the claim path says, with sub and role as PostgREST does", () => {
    const spec = declareTable({
      table: "t",
      tenant: { column: "org", claim: "app_metadata.org_id" },
    });
    expect(claimsFor("tenant_b", spec, ids, "authenticated")).toEqual({
      sub: "ub",
      role: "authenticated",
      aud: "authenticated",
      app_metadata: { org_id: "tb" },
    });
    expect(claimsFor("anon", spec, ids, "authenticated")).toEqual({ role: "anon" });
    expect(claimsFor("service_role", spec, ids, "authenticated")).toEqual({ role: "service_role" });
  });
});

describe("seedValue", () => {
  const random = {
    uuid: () => "00000000-0000-4000-8000-000000000001",
    token: () => "abcd1234",
    int: () => 7,
  };
  const column = (overrides: Partial<ColumnInfo>): ColumnInfo => ({
    name: "c",
    type: "text",
    category: "S",
    baseType: "text",
    notNull: true,
    hasDefault: false,
    generatedAlways: false,
    enumLabels: null,
    ...overrides,
  });

  it("makes a castable value per type category", () => {
    expect(seedValue(column({}), random)).toBe("abcd1234-smoke");
    expect(seedValue(column({ type: "uuid", category: "U", baseType: "uuid" }), random)).toBe(
      "00000000-0000-4000-8000-000000000001",
    );
    expect(seedValue(column({ type: "jsonb", category: "U", baseType: "jsonb" }), random)).toBe(
      "{}",
    );
    expect(seedValue(column({ type: "integer", category: "N", baseType: "int4" }), random)).toBe(
      "7",
    );
    expect(seedValue(column({ type: "boolean", category: "B", baseType: "bool" }), random)).toBe(
      "false",
    );
    expect(
      seedValue(
        column({ type: "timestamp with time zone", category: "D", baseType: "timestamptz" }),
        random,
      ),
    ).toBe("now");
    expect(
      seedValue(
        column({
          type: "public.status",
          category: "E",
          baseType: "status",
          enumLabels: ["draft", "live"],
        }),
        random,
      ),
    ).toBe("draft");
    expect(seedValue(column({ type: "text[]", category: "A", baseType: "_text" }), random)).toBe(
      "{}",
    );
  });

  it("gives up (undefined) on types it cannot invent, so the table is reported rather than guessed", () => {
    expect(
      seedValue(column({ type: "point", category: "G", baseType: "point" }), random),
    ).toBeUndefined();
  });
});

describe("renderMatrix", () => {
  it("marks leaks and lock-outs and ends with the verdict", () => {
    const base = { table: "public.agents", command: "SELECT" as const, detail: "1 row(s) visible" };
    const probes: ProbeResult[] = [
      { ...base, actor: "tenant_a", row: "a", expected: "allowed", actual: "allowed", ok: true },
      { ...base, actor: "tenant_a", row: "b", expected: "denied", actual: "allowed", ok: false },
      {
        ...base,
        actor: "tenant_b",
        row: "b",
        expected: "allowed",
        actual: "denied",
        ok: false,
        detail: "0 row(s) visible",
      },
    ];
    const text = renderMatrix({
      ok: false,
      tables: [{ table: "public.agents", status: "checked", probes }],
      mismatches: probes.filter((x) => !x.ok),
      couldNotCheck: [],
    });
    expect(text).toMatch(/tenant A\s+own\s+allowed ok/);
    expect(text).toMatch(/tenant A\s+B's\s+allowed LEAK/);
    expect(text).toMatch(/tenant B\s+own\s+denied BLOCKED/);
    expect(text).toContain(
      "! tenant A SELECT on B's row: expected denied, got allowed (1 row(s) visible)",
    );
    expect(text).toContain("FAIL: 2 probe(s) did not match the declared policies.");
    expect(text.split("\n").every((line) => line === line.trimEnd())).toBe(true);
  });
});

describe("privilege and reference probes", () => {
  it("every API role must be refused TRUNCATE, REFERENCES and TRIGGER", async () => {
    const { privilegeProbesFor, referenceProbe } = await import("../../../infra/rls/smoke-plan");
    expect(
      privilegeProbesFor(["anon", "authenticated"]).map(
        (p) => `${p.role} ${p.command} ${p.expected}`,
      ),
    ).toEqual([
      "anon TRUNCATE denied",
      "anon REFERENCES denied",
      "anon TRIGGER denied",
      "authenticated TRUNCATE denied",
      "authenticated REFERENCES denied",
      "authenticated TRIGGER denied",
    ]);
    expect(referenceProbe("fk → public.projects")).toMatchObject({
      kind: "reference",
      actor: "tenant_a",
      row: "b",
      expected: "denied",
    });
  });
});
