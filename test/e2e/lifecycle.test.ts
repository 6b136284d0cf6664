/**
 * The local stack's whole life through the real engine: preview, up, an up
 * that changes nothing, refresh with and without out-of-band changes, repair,
 * destroy. Postgres is checked directly after every step.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { APP_RLS_TABLES } from "../../infra/local/example-app/rls";
import { declareTable } from "../../infra/rls/model";
import { RLS_TABLE_TYPE, createE2eStack, rlsState, type E2eStack } from "../support/engine";
import { stacksDirStatus } from "./guard";

const STEP = { timeout: 300_000 };

/** The policies the local stack declares, by table (appRole from stacks/Pulumi.local.yaml). */
const DECLARED = Object.fromEntries(
  APP_RLS_TABLES.map((t) => declareTable(t, { appRole: "authenticated" })).map((spec) => [
    spec.table,
    spec.policies.map((p) => p.name).sort(),
  ]),
);
const MANAGED = Object.keys(DECLARED).sort();

let e: E2eStack;
let stacksBefore: string;
let before: Awaited<ReturnType<typeof rlsState>>;

/** `op` of every RLS-table step the engine announced, by table name. */
function tableSteps(events: EngineEvent[]): Record<string, OpType> {
  const steps: Record<string, OpType> = {};
  for (const ev of events) {
    const m = ev.resourcePreEvent?.metadata;
    if (m?.type !== RLS_TABLE_TYPE) continue;
    const table = m.urn.split("-public-").pop()!;
    steps[table] = m.op;
  }
  return steps;
}

function onlySame(changes: Record<string, number> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(changes ?? {}).filter(([op]) => op !== "same"));
}

beforeAll(async () => {
  stacksBefore = stacksDirStatus();
  e = await createE2eStack("lifecycle");
  // A table the stack does not manage, with a hand-made policy: it must survive everything.
  await e.db.sql(`
    create table public.audit_log (id bigint primary key, note text);
    alter table public.audit_log enable row level security;
    create policy hand_made on public.audit_log for select to authenticated using (true);`);
  before = await rlsState(e.db);
}, 300_000);

afterAll(async () => {
  await e?.dispose();
});

describe("local stack lifecycle through the engine", () => {
  it("preview reports a create for every declared table and changes nothing", STEP, async () => {
    const result = await e.preview();
    expect(tableSteps(e.lastEvents())).toEqual(
      Object.fromEntries(MANAGED.map((t) => [t, "create"])),
    );
    // The stack, the component, one resource per table and the backup job; nothing exists yet to update or delete.
    expect(result.changeSummary).toEqual({ create: MANAGED.length + 3 });
    expect(await rlsState(e.db)).toEqual(before);
  });

  it("up enables and forces RLS with exactly the declared policies", STEP, async () => {
    const result = await e.up();
    expect(result.summary.result).toBe("succeeded");
    expect(tableSteps(e.lastEvents())).toEqual(
      Object.fromEntries(MANAGED.map((t) => [t, "create"])),
    );
    const live = await rlsState(e.db);
    for (const table of MANAGED) {
      expect(live[table], table).toEqual({
        enabled: true,
        forced: true,
        policies: DECLARED[table],
      });
    }
    expect(live.audit_log).toEqual(before.audit_log);
    expect((await e.rlsResources()).size).toBe(MANAGED.length);
    const outputs = await e.stack.outputs();
    // Outputs are nested by area; whether the area is on is `features.rls`.
    expect(outputs.features?.value).toMatchObject({ rls: true });
    expect(outputs.rls?.value).toMatchObject({ tables: MANAGED.map((t) => `public.${t}`) });
    // Areas this stack turns off are left out of the outputs, not exported as undefined.
    expect(outputs.features?.value).toMatchObject({ vercel: false });
    expect(Object.keys(outputs)).not.toContain("vercel");
    expect(e.captured()).not.toMatch(/Undefined value \(\w+\) will not show as a stack output/);
  });

  it("a second up reports only unchanged resources", STEP, async () => {
    const result = await e.up();
    expect(result.summary.resourceChanges?.same).toBeGreaterThanOrEqual(MANAGED.length);
    expect(onlySame(result.summary.resourceChanges)).toEqual({});
  });

  it("refresh of an untouched database finds no drift", STEP, async () => {
    const result = await e.refresh();
    expect(onlySame(result.summary.resourceChanges)).toEqual({});
    for (const [id, r] of await e.rlsResources()) expect(r.outputs?.drift, id).toEqual([]);
  });

  it("refresh detects out-of-band changes, preview shows them, up repairs them", STEP, async () => {
    await e.db.sql(`
      drop policy member_read on public.tenants;
      alter table public.plans disable row level security;`);

    const refreshed = await e.refresh();
    expect(onlySame(refreshed.summary.resourceChanges)).toEqual({ update: 2 });
    const state = await e.rlsResources();
    const tenantsDrift = state.get("public.tenants")?.outputs?.drift as string[];
    const plansDrift = state.get("public.plans")?.outputs?.drift as string[];
    expect(tenantsDrift.join("\n")).toMatch(/member_read/);
    expect(plansDrift.join("\n")).toMatch(/row level security|RLS/i);
    expect(state.get("public.agents")?.outputs?.drift).toEqual([]);

    const preview = await e.preview();
    expect(preview.changeSummary.update).toBe(2);
    expect(tableSteps(e.lastEvents())).toMatchObject({ tenants: "update", plans: "update" });

    const repaired = await e.up();
    expect(onlySame(repaired.summary.resourceChanges)).toEqual({ update: 2 });
    const live = await rlsState(e.db);
    expect(live.tenants).toEqual({ enabled: true, forced: true, policies: DECLARED.tenants });
    expect(live.plans).toEqual({ enabled: true, forced: true, policies: DECLARED.plans });
    const policy = await e.db.sql<{ qual: string }>(
      `select qual from pg_policies where schemaname = 'public' and tablename = 'tenants' and policyname = 'member_read'`,
    );
    expect(policy[0]?.qual).toMatch(/auth\.jwt\(\)/);
    for (const [id, r] of await e.rlsResources()) expect(r.outputs?.drift, id).toEqual([]);
  });

  it("destroy removes every managed policy and nothing else", STEP, async () => {
    const result = await e.destroy();
    expect(result.summary.result).toBe("succeeded");
    expect(result.summary.resourceChanges?.delete).toBeGreaterThanOrEqual(MANAGED.length);
    const live = await rlsState(e.db);
    for (const table of MANAGED) {
      // The provider's contract: RLS stays enabled and forced without policies
      // (fails closed; test/integration/rls/provider.test.ts "delete").
      expect(live[table], table).toEqual({ enabled: true, forced: true, policies: [] });
    }
    expect(live.audit_log).toEqual(before.audit_log);
    const exported = await e.stack.exportStack();
    expect(exported.deployment.resources ?? []).toEqual([]);
  });

  it("never touched the committed stack files", () => {
    expect(stacksDirStatus()).toBe(stacksBefore);
  });
});
