/**
 * The provider as the engine really runs it: the loader module RlsTable
 * stores as `__provider` (test/unit/lib/dynamic/resource.test.ts proves it is
 * this one), loaded with require-from-string in a separate plain `node`
 * process, as the dynamic-provider host does. Mock tests never reach this
 * path. Loaders that older state holds are fixtures, run the same way.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closePools } from "../../../infra/postgres/client";
import { providerIds } from "../../../infra/lib/dynamic/entry";
import { BOOT_PATH, loaderModule } from "../../../infra/lib/dynamic/stub";
import { REPO_ROOT } from "../../../infra/lib/paths";
import { declareTable } from "../../../infra/rls/model";
import { committedState } from "../../../infra/rls/stored";
import {
  RLS_TABLE_PROVIDER_ID,
  type RlsTableInputs,
  type RlsTableOutputs,
} from "../../../infra/rls/provider";
import { runSerialized as runText } from "../../support/dynamic/serialized";
import { appDatabase, inputsFor, livePolicies, rlsFlags, type TestDatabase } from "./helpers";

let db: TestDatabase;
let serialized: string;
let relocated: string;

function runSerialized(
  ops: { op: string; args: unknown[] }[],
  options: { text?: string; cwd?: string } = {},
) {
  return runText(options.text ?? serialized, ops, { cwd: options.cwd });
}

beforeAll(async () => {
  db = await appDatabase("rls_serialized");
  serialized = loaderModule(RLS_TABLE_PROVIDER_ID);
  // State written by a checkout that has since moved (another machine, another CI runner).
  relocated = loaderModule(RLS_TABLE_PROVIDER_ID, "/nonexistent/checkout");
}, 180_000);

afterAll(async () => {
  await closePools();
  await db?.drop();
});

describe("the serialized provider", () => {
  it("captures no credential, client or connection string", () => {
    expect(serialized).not.toContain(db.url);
    expect(serialized).not.toMatch(/postgres(ql)?:\/\/[^"'\s]*:[^"'\s]*@/);
    // A loader of the provider's code, not the code by value: it is stored in every resource's
    // state, and the state is rewritten after every step (see infra/lib/dynamic/stub.ts).
    // boot.cjs in the checkout registers ts-node and loads the provider; the loader only finds it.
    expect(serialized.length).toBeLessThan(1_000);
    expect(serialized).toContain("infra/lib/dynamic/boot.cjs");
    expect(serialized).not.toContain('require("ts-node")');
    expect(serialized).not.toContain('require("pg")');
  });

  it("finds the code in the provider's working directory when the checkout has moved, and says so when it cannot", () => {
    const spec = declareTable({ table: "tenants", publicRead: true });
    const checked = runSerialized([{ op: "check", args: [{}, inputsFor(spec, db.url)] }], {
      text: relocated,
    });
    expect(checked.error).toBeUndefined();
    const lost = runSerialized([{ op: "check", args: [{}, inputsFor(spec, db.url)] }], {
      text: relocated,
      cwd: "/",
    });
    expect(lost.ok).toBe(false);
    expect(lost.error).toContain(
      "dynamic provider 'runbooks:rls:RlsTable' not found: no /infra/lib/dynamic/boot.cjs or /nonexistent/checkout/infra/lib/dynamic/boot.cjs",
    );
    expect(lost.error).toContain("Run pulumi in the runbooks checkout");
  });

  it("checks (WASM parser included) and creates from a plain node process", () => {
    const spec = declareTable({ table: "agents", tenant: { column: "tenant_id" } });
    const news = inputsFor(spec, db.url);
    const checked = runSerialized([{ op: "check", args: [{}, news] }]);
    expect(checked.ok).toBe(true);
    const inputs = (checked.results[0] as { inputs: RlsTableInputs }).inputs;
    const created = runSerialized([{ op: "create", args: [inputs] }]);
    expect(created.error).toBeUndefined();
    const { id, outs } = created.results[0] as { id: string; outs: RlsTableOutputs };
    expect(id).toBe("public.agents");
    expect(committedState(outs).policies).toHaveLength(4);
  });

  it("surfaces error messages (the engine reports e.message; a serialized Error subclass must keep it)", () => {
    const spec = declareTable({ table: "missing_table", tenant: { column: "tenant_id" } });
    const inputs = (
      runSerialized([{ op: "check", args: [{}, inputsFor(spec, db.url)] }]).results[0] as {
        inputs: RlsTableInputs;
      }
    ).inputs;
    const failed = runSerialized([{ op: "create", args: [inputs] }]);
    expect(failed.ok).toBe(false);
    expect(failed.error).toMatch(
      /^table public\.missing_table does not exist\. Tables are created by the app's migrations/,
    );
    const badConnection = runSerialized([
      {
        op: "create",
        args: [{ ...inputs, table: "agents", connection: db.url.replace(/:\d+\//, ":1/") }],
      },
    ]);
    expect(badConnection.error).toMatch(
      /apply RLS on public\.agents: could not connect \(127\.0\.0\.1:1\//,
    );
    expect(badConnection.error).not.toContain(decodeURIComponent(new URL(db.url).password));
  });

  it("reads drift and deletes with the state the create left", async () => {
    const spec = declareTable({ table: "projects", tenant: { column: "tenant_id" } });
    const inputs = (
      runSerialized([{ op: "check", args: [{}, inputsFor(spec, db.url)] }]).results[0] as {
        inputs: RlsTableInputs;
      }
    ).inputs;
    const outs = (
      runSerialized([{ op: "create", args: [inputs] }]).results[0] as { outs: RlsTableOutputs }
    ).outs;
    await db.sql("drop policy tenant_isolation_update on public.projects");
    const refresh = runSerialized([{ op: "read", args: ["public.projects", outs] }]);
    const read = refresh.results[0] as { props: RlsTableOutputs };
    expect(read.props.drift).toEqual(["policy tenant_isolation_update was dropped out of band"]);
    // What the engine shows for a refresh: the provider's stdout, one line per table.
    expect(refresh.printed).toEqual([
      "rls public.projects: drift: policy tenant_isolation_update was dropped out of band",
    ]);
    // diff compares with the live table, so the state the create left is enough (no refresh needed).
    const preview = runSerialized([{ op: "diff", args: ["public.projects", outs, inputs] }]);
    expect((preview.results[0] as { changes: boolean }).changes).toBe(true);
    expect(preview.printed).toEqual([
      "rls public.projects: live differs from the last apply: policy tenant_isolation_update was dropped out of band. up will create policy tenant_isolation_update",
    ]);
    runSerialized([{ op: "delete", args: ["public.projects", outs] }]);
    expect(await livePolicies(db, "projects")).toEqual([]);
    expect(await rlsFlags(db, "projects")).toEqual({ enabled: true, forced: true });
  });

  it("a loader from before RLS moved to infra/rls/ (what older state holds) still works", () => {
    const legacy = readFileSync(join(__dirname, "fixtures", "pre-layout-loader.js"), "utf8");
    const spec = declareTable({ table: "tenant_members", tenant: { column: "tenant_id" } });
    const checked = runSerialized([{ op: "check", args: [{}, inputsFor(spec, db.url)] }], {
      text: legacy,
    });
    expect(checked.error).toBeUndefined();
    const inputs = (checked.results[0] as { inputs: RlsTableInputs }).inputs;
    const run = runSerialized(
      [
        { op: "create", args: [inputs] },
        { op: "diff", args: ["public.tenant_members", { ...inputs, expected: undefined }, inputs] },
      ],
      { text: legacy },
    );
    expect(run.error).toBeUndefined();
    expect((run.results[0] as { id: string }).id).toBe("public.tenant_members");
  });

  it("a closure-serialized loader (what state written before the loader module holds) still works, wherever that checkout went", () => {
    const legacy = readFileSync(join(__dirname, "fixtures", "closure-loader.js"), "utf8");
    expect(legacy).toContain('root: "/checkout/that/wrote/the/state"');
    const spec = declareTable({ table: "tenants", publicRead: true });
    const run = runSerialized([{ op: "check", args: [{}, inputsFor(spec, db.url)] }], {
      text: legacy,
    });
    expect(run.error).toBeUndefined();
    expect((run.results[0] as { failures: unknown[] }).failures).toEqual([]);
    const lost = runSerialized([{ op: "check", args: [{}, inputsFor(spec, db.url)] }], {
      text: legacy,
      cwd: "/",
    });
    expect(lost.error).toContain(
      "was not found (looked for /infra/lib/dynamic/boot.cjs, /checkout/that/wrote/the/state/infra/lib/dynamic/boot.cjs)",
    );
  });

  it("refuses code that says it is another provider, and names the ids this checkout has", () => {
    const checkout = mkdtempSync(join(tmpdir(), "runbooks-wrong-entry-"));
    try {
      mkdirSync(join(checkout, "infra", "lib", "dynamic"), { recursive: true });
      writeFileSync(join(checkout, "tsconfig.json"), '{"compilerOptions":{"module":"commonjs"}}');
      // A checkout has the boot file and its dependencies; only its entry is wrong.
      copyFileSync(join(REPO_ROOT, BOOT_PATH), join(checkout, BOOT_PATH));
      symlinkSync(join(REPO_ROOT, "node_modules"), join(checkout, "node_modules"));
      writeFileSync(
        join(checkout, "infra", "lib", "dynamic", "entry.ts"),
        'export function loadProvider(id: string) { return { providerId: "runbooks:other:Thing" }; }\n',
      );
      const wrong = runSerialized([{ op: "check", args: [{}, {}] }], { cwd: checkout });
      expect(wrong.ok).toBe(false);
      expect(wrong.error).toContain(
        "returned provider 'runbooks:other:Thing' for 'runbooks:rls:RlsTable'; the checkout does not match the state",
      );
    } finally {
      rmSync(checkout, { recursive: true, force: true });
    }
    const unknown = loaderModule("runbooks:rls:NoSuchThing");
    const refused = runSerialized([{ op: "check", args: [{}, {}] }], { text: unknown });
    expect(refused.error).toContain(
      "this checkout has no dynamic provider 'runbooks:rls:NoSuchThing' (it has: ",
    );
    // Every provider id the checkout has is named, so the message says what would load.
    expect(providerIds().length).toBeGreaterThanOrEqual(7);
    for (const id of providerIds()) expect(refused.error).toContain(id);
  });
});
