/**
 * A stack created before the layout change keeps working after it, with no
 * update: what older state holds is another serialized loader (it requires
 * `infra/postgres/provider` under the provider's working directory) and
 * another provider version. The state is made exactly that way — `up` with
 * today's code, then every RLS resource's `__provider` swapped for the old
 * loader (kept verbatim as a fixture) and its version for an old one — and
 * imported back, as the backend would hold it.
 *
 * State from before table privileges were declared has no `privileges`, and
 * its database still has Supabase's default grants: there the first `up`
 * updates every table, and the test proves that is the intended convergence
 * (each reason is a revoke of what RLS does not govern, no policy changes,
 * then no changes) rather than noise.
 */
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../infra/lib/paths";
import { committedState, type RlsTableOutputs } from "../../infra/rls/stored";
import { RLS_TABLE_TYPE, createE2eStack, rlsState, type E2eStack } from "../support/engine";
import { readStatementStats, resetStatementStats } from "../support/statement-stats";

const STEP = { timeout: 300_000 };
const LEGACY_LOADER = readFileSync(
  join(REPO_ROOT, "test", "integration", "rls", "fixtures", "pre-layout-loader.js"),
  "utf8",
);
const OLD_VERSION = "sha256:0123456789abcdef";

let e: E2eStack;

function withLegacyLoader(resource: Record<string, unknown>): void {
  for (const side of ["inputs", "outputs"] as const) {
    const props = resource[side] as Record<string, unknown> | undefined;
    if (!props) continue;
    props.__provider = LEGACY_LOADER;
    props.providerVersion = OLD_VERSION;
  }
}

/**
 * Outputs as earlier code wrote them: every input again, the declared policies included,
 * and the committed table as objects (`expected`).
 */
function withEarlierOutputs(resource: Record<string, unknown>): void {
  const inputs = resource.inputs as Record<string, unknown>;
  const outputs = resource.outputs as Record<string, unknown>;
  outputs.expected = committedState(outputs as unknown as RlsTableOutputs);
  delete outputs.applied;
  for (const key of ["policies", "tenantColumn", "tenantClaim"])
    if (key in inputs) outputs[key] = inputs[key];
}

beforeAll(async () => {
  e = await createE2eStack("upgrade", { backups: false });
  // The engine starts providers in the project directory; in a real checkout that
  // directory holds infra/, where the old loader finds infra/postgres/provider.ts.
  symlinkSync(join(REPO_ROOT, "infra"), join(e.workDir, "infra"));
  const up = await e.up();
  expect(up.summary.result).toBe("succeeded");
  const exported = await e.cli(["stack", "export", "-s", e.stackName], { op: "stack export" });
  const state = JSON.parse(exported.stdout) as {
    deployment: { resources: Record<string, unknown>[] };
  };
  const tables = state.deployment.resources.filter((r) => r.type === RLS_TABLE_TYPE);
  expect(tables).toHaveLength(6);
  tables.forEach(withLegacyLoader);
  tables.forEach(withEarlierOutputs);
  const file = join(e.root, "pre-layout-state.json");
  writeFileSync(file, JSON.stringify(state));
  const imported = await e.cli(["stack", "import", "--file", file, "-s", e.stackName], {
    op: "stack import",
  });
  expect(imported.code, imported.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await e?.dispose();
});

describe("a stack whose state predates the layout change", () => {
  it("holds the old loader and version (the premise of this test)", STEP, async () => {
    const { resources } = await e.storedExport();
    const providers = resources
      .filter((r) => r.type === RLS_TABLE_TYPE)
      .map((r) => String(r.outputs?.__provider));
    expect(new Set(providers)).toEqual(new Set([LEGACY_LOADER]));
    for (const r of resources.filter((r) => r.type === RLS_TABLE_TYPE)) {
      expect(r.outputs).not.toHaveProperty("applied");
      expect(r.outputs?.expected).toMatchObject({ exists: true, enabled: true });
      expect(r.outputs?.policies).toEqual(r.inputs?.policies);
    }
  });

  it("previews and updates with no changes", STEP, async () => {
    const preview = await e.preview();
    expect(preview.changeSummary).toEqual({ same: 8 });
    const before = await rlsState(e.db);
    const up = await e.up();
    expect(up.summary.resourceChanges).toEqual({ same: 8 });
    expect(await rlsState(e.db)).toEqual(before);
  });

  it(
    "state from before privileges were declared: the first up revokes what RLS does not govern, and changes nothing else",
    STEP,
    async () => {
      // What older code left: no privileges in state, Supabase's default grants in the database.
      const exported = await e.cli(["stack", "export", "-s", e.stackName], { op: "stack export" });
      const state = JSON.parse(exported.stdout) as {
        deployment: { resources: Record<string, Record<string, unknown> | string>[] };
      };
      for (const r of state.deployment.resources.filter((r) => r.type === RLS_TABLE_TYPE))
        for (const side of ["inputs", "outputs"] as const) {
          const props = r[side] as Record<string, unknown> | undefined;
          if (!props) continue;
          delete props.privileges;
          for (const seen of ["expected", "live"])
            delete (props[seen] as Record<string, unknown> | undefined)?.privileges;
        }
      const file = join(e.root, "pre-privileges-state.json");
      writeFileSync(file, JSON.stringify(state));
      const imported = await e.cli(["stack", "import", "--file", file, "-s", e.stackName], {
        op: "stack import",
      });
      expect(imported.code, imported.stderr).toBe(0);
      await e.db.sql("grant all on all tables in schema public to anon, authenticated");

      const preview = await e.preview();
      expect(preview.changeSummary).toEqual({ same: 2, update: 6 });
      // Every reason is a grant change: the convergence is the declaration's privileges, not noise.
      // Each message shows twice: beside its resource, and under Diagnostics.
      const reasons = [
        ...new Set(
          preview.stdout
            .split("\n")
            .map((l) => /rls public\.\w+: .*/.exec(l)?.[0])
            .filter((l): l is string => l !== undefined),
        ),
      ];
      expect(reasons).toHaveLength(6);
      for (const line of reasons)
        expect(line.trim()).toMatch(
          /^rls public\.\w+: up will revoke (SELECT, INSERT, UPDATE, DELETE, )?TRUNCATE, REFERENCES, TRIGGER from \w+(; revoke [A-Z, ]+ from \w+)*$/,
        );

      const policiesBefore = await rlsState(e.db);
      await resetStatementStats(e.db.sql);
      const up = await e.up();
      expect(up.summary.resourceChanges).toEqual({ same: 2, update: 6 });
      const stats = await readStatementStats(e.db.sql, { role: e.db.ownerRole });
      expect(stats.ddl.filter((d) => /policy|row level security/i.test(d.query))).toEqual([]);
      expect(await rlsState(e.db)).toEqual(policiesBefore);
      const [truncatable] = await e.db.sql<{ n: number }>(
        `select count(*)::int as n from pg_tables t, unnest(array['anon', 'authenticated']) r
         where t.schemaname = 'public' and has_table_privilege(r, format('public.%I', t.tablename), 'TRUNCATE')`,
      );
      expect(truncatable!.n).toBe(0);
      const again = await e.preview();
      expect(again.changeSummary).toEqual({ same: 8 });
      // The updates wrote today's outputs, which do not repeat the declaration.
      const updated = [...(await e.rlsResources()).values()].filter(
        (r) => r.outputs?.applied !== undefined,
      );
      expect(updated).toHaveLength(6);
      for (const r of updated) {
        expect(r.outputs).not.toHaveProperty("policies");
        expect(r.outputs).not.toHaveProperty("expected");
      }
    },
  );

  it(
    "refreshes through the old loader (which reaches today's code) and sees drift",
    STEP,
    async () => {
      await e.db.sql("alter table public.tenants disable row level security");
      const refreshed = await e.refresh();
      expect(refreshed.summary.result).toBe("succeeded");
      const tenants = (await e.rlsResources()).get("public.tenants");
      expect(tenants?.outputs?.drift).toEqual(["row level security was DISABLED out of band"]);
      const repaired = await e.up();
      expect(repaired.summary.resourceChanges).toEqual({ same: 7, update: 1 });
    },
  );

  it("destroys through the loader that wrote each resource", STEP, async () => {
    const destroyed = await e.destroy();
    expect(destroyed.summary.result).toBe("succeeded");
    const after = await rlsState(e.db);
    expect(Object.values(after).every((t) => t.policies.length === 0)).toBe(true);
  });
});
