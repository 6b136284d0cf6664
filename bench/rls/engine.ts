/**
 * RLS through the whole engine: `pulumi up` of a stack declaring 250 tables
 * (1,000 policies) in `runbooks:rls.tables`, against two baselines measured in
 * the same run: `psql -f` of the same statements, and the engine floor — the
 * same CLI, runtime and kind of backend running 250 dynamic resources that do
 * nothing (bench/rls/engine-floor/), whose ratio isolates this project's own
 * cost (and the same floor with RlsTable-sized state, which separates what
 * state size costs the file backend from what the provider does). Then a
 * no-op `preview --refresh` and `up`, counted with
 * pg_stat_statements (the no-op `up` reads the catalog once: its diff
 * compares with the live tables).
 *
 * bench/rls/apply.ts measures the provider alone.
 *
 *   npm run bench:rls:engine      (needs the CLI built by `npm run setup`)
 *   npm run bench:rls:engine -- --rounds 3
 *                                 repeats the first `up` and the floor's, interleaved
 *                                 (which runs first alternates), and reports the median
 *                                 of the rounds' own ratios: on a shared machine one
 *                                 round's floor alone moves by a fifth
 *   npm run bench:rls:engine -- --profile DIR
 *                                 also writes the engine's CPU profiles of each
 *                                 up and destroy to DIR (the CLI's --profiling),
 *                                 for `go tool pprof -top -cum <cli> DIR/<run>-up.<pid>.cpu`
 *
 * Writes bench/results/rls-engine.json and refreshes bench/results/rls.md.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { REPO_ROOT } from "../../infra/lib/paths";
import { ensurePulumiCli, pulumiEnv } from "../../infra/tools/pulumi-cli";
import { createTestDatabase, startPostgres } from "../../infra/local/postgres";
import { resetStatementStats } from "../../test/support/statement-stats";
import { writeSummary } from "./summary";
import {
  equivalentSql,
  psqlSeconds,
  runnerFor,
  schemaSql,
  sql,
  statementCounts,
  tableSpecs,
} from "./workload";

const STACK = "bench";

const argv = process.argv.slice(2);
const PROFILE_DIR = argv.includes("--profile") ? argv[argv.indexOf("--profile") + 1] : undefined;
const ROUNDS = argv.includes("--rounds") ? Number(argv[argv.indexOf("--rounds") + 1]) : 1;
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error("[bench:rls:engine] --rounds needs a whole number of at least 1: --rounds 3");
  process.exit(2);
}
if (argv.includes("--profile") && !PROFILE_DIR) {
  console.error("[bench:rls:engine] --profile needs a directory: --profile /tmp/rls-profiles");
  process.exit(2);
}

/**
 * The CLI root the Automation API runs for one measured stack. With --profile, a
 * root of its own whose `pulumi` adds `--profiling DIR/<label>-<command>` to up and
 * destroy (the Automation API passes no extra flags), and runs the same binary.
 */
function cliRoot(root: string, cli: Awaited<ReturnType<typeof ensurePulumiCli>>, label: string) {
  if (!PROFILE_DIR) return dirname(cli.binDir);
  mkdirSync(PROFILE_DIR, { recursive: true });
  const wrapper = join(root, `cli-${label}`);
  mkdirSync(join(wrapper, "bin"), { recursive: true });
  const script = join(wrapper, "bin", "pulumi");
  const prefix = join(PROFILE_DIR, label);
  writeFileSync(
    script,
    [
      "#!/bin/sh",
      `case "$1" in up|destroy) exec '${cli.bin}' "$@" --profiling '${prefix}-'"$1" ;; esac`,
      `exec '${cli.bin}' "$@"`,
      "",
    ].join("\n"),
  );
  chmodSync(script, 0o755);
  return wrapper;
}

async function main() {
  const loadAtStart = loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  const cli = await ensurePulumiCli({ quiet: true });
  const server = await startPostgres();
  const all = tableSpecs();
  const root = mkdtempSync(join(tmpdir(), "bench-rls-engine-"));
  const drops: (() => Promise<void>)[] = [];
  try {
    // Baseline on its own clone.
    const baselineDb = await createTestDatabase(server.adminUrl, "bench_rls_psql");
    drops.push(baselineDb.drop);
    await sql(baselineDb.url, schemaSql(all));
    const file = join(root, "policies.sql");
    writeFileSync(file, equivalentSql(all));
    const psql = psqlSeconds(baselineDb.url, file);
    console.log(`[bench:rls:engine] psql -f: ${psql.toFixed(3)} s`);

    const db = await createTestDatabase(server.adminUrl, "bench_rls_engine");
    drops.push(db.drop);
    await sql(db.url, schemaSql(all));

    // A project directory running the repository's program, with its own backend and passphrase.
    const workDir = join(root, "project");
    const backend = join(root, "state");
    const home = join(root, "home");
    for (const d of [workDir, backend, home]) mkdirSync(d, { recursive: true });
    const project = parseYaml(readFileSync(join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
      main?: string;
      stackConfigDir?: string;
      runtime: { options?: { tsconfig?: string } };
    };
    // Paths made absolute so the program runs from the temp directory.
    project.main = join(REPO_ROOT, project.main ?? "index.ts");
    if (project.runtime.options?.tsconfig)
      project.runtime.options.tsconfig = join(REPO_ROOT, project.runtime.options.tsconfig);
    delete project.stackConfigDir;
    writeFileSync(join(workDir, "Pulumi.yaml"), stringifyYaml(project));
    const env = pulumiEnv({
      ...process.env,
      PULUMI_BACKEND_URL: `file://${backend}`,
      PULUMI_HOME: home,
      PULUMI_CONFIG_PASSPHRASE: randomBytes(18).toString("base64url"),
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    }) as Record<string, string>;
    delete env.PULUMI_CONFIG;
    delete env.DATABASE_URL;
    const workspace = await LocalWorkspace.create({
      workDir,
      pulumiHome: home,
      envVars: env,
      secretsProvider: "passphrase",
      pulumiCommand: await PulumiCommand.get({
        root: cliRoot(root, cli, "rls"),
        skipVersionCheck: true,
      }),
    });
    const stack = await Stack.create(STACK, workspace);
    const configFile = join(workDir, `Pulumi.${STACK}.yaml`);
    const created = (parseYaml(readFileSync(configFile, "utf8")) ?? {}) as Record<string, unknown>;
    writeFileSync(
      configFile,
      stringifyYaml({
        ...created,
        config: {
          "runbooks:owner": "bench",
          "runbooks:features": {
            vercel: false,
            github: false,
            backupStorage: false,
            alerts: false,
            rls: true,
            backups: false,
            rotation: false,
          },
          "runbooks:database": {
            urlSecretRef: "databaseUrl",
            lockTimeoutSeconds: 5,
            lockRetries: 5,
          },
          "runbooks:rls": {
            tables: all.map((t) => ({ table: t.table, tenantColumn: "tenant_id" })),
          },
        },
      }),
    );
    // The URL goes in through stdin, never argv.
    const set = spawnSync(cli.bin, ["config", "set", "--secret", "databaseUrl", "-s", STACK], {
      cwd: workDir,
      env,
      input: db.url,
      encoding: "utf8",
    });
    if (set.status !== 0) throw new Error(`config set failed: ${set.stderr}`);

    const quiet = { color: "never" as const, suppressProgress: true, showSecrets: false };
    const time = async <T>(label: string, run: () => Promise<T>) => {
      const started = process.hrtime.bigint();
      const value = await run();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      console.log(`[bench:rls:engine] ${label}: ${seconds.toFixed(2)} s`);
      return { value, seconds };
    };
    const up = await time("pulumi up (create)", () => stack.up(quiet));
    if (up.value.summary.result !== "succeeded") throw new Error("up failed");
    const [{ n }] = (await sql<{ n: number }>(
      db.url,
      "select count(*)::int as n from pg_policy",
    )) as [{ n: number }];
    if (n !== all.length * 4) throw new Error(`expected ${all.length * 4} policies, found ${n}`);

    // State per RlsTable resource (inputs and outputs as stored), for the sized floor.
    const exported = (await stack.exportStack()).deployment as {
      resources?: { type: string; inputs?: unknown; outputs?: unknown }[];
    };
    const tables = (exported.resources ?? []).filter((r) => r.type.endsWith(":RlsTable"));
    const stateBytes = Math.round(
      tables.reduce(
        (n, r) => n + JSON.stringify(r.inputs).length + JSON.stringify(r.outputs).length,
        0,
      ) / Math.max(1, tables.length),
    );

    // Where those bytes go, field by field, for the first table (inputs and outputs added up),
    // and how many values (each object, array and scalar) each holds: the engine's cost per
    // state write follows these more than bytes (the --profile figures).
    const stateBytesByField: Record<string, number> = {};
    const stateValuesByField: Record<string, number> = {};
    for (const part of [tables[0]?.inputs, tables[0]?.outputs] as Record<string, unknown>[])
      for (const [k, v] of Object.entries(part ?? {})) {
        stateBytesByField[k] = (stateBytesByField[k] ?? 0) + JSON.stringify(v).length;
        stateValuesByField[k] = (stateValuesByField[k] ?? 0) + countValues(v);
      }
    const stateValues = Object.values(stateValuesByField).reduce((a, b) => a + b, 0);

    await resetStatementStats(runnerFor(db.url));
    const previewRefresh = await time("pulumi preview --refresh (no-op)", () =>
      stack.preview({ ...quiet, refresh: true }),
    );
    const previewCounts = await statementCounts(db.url);
    await resetStatementStats(runnerFor(db.url));
    const upNoop = await time("pulumi up (no-op)", () => stack.up(quiet));
    const upNoopCounts = await statementCounts(db.url);
    const destroy = await time("pulumi destroy", () => stack.destroy(quiet));
    const floor = await engineFloor(root, cli, env, "floor", 0);
    // More rounds of the first `up` against the floor's, alternating which goes first.
    const upRounds = [{ seconds: up.seconds, floorSeconds: floor.upSeconds }];
    for (let round = 2; round <= ROUNDS; round++) {
      const floorFirst = round % 2 === 0;
      let floorSeconds = 0;
      if (floorFirst)
        floorSeconds = (await engineFloor(root, cli, env, `floor-${round}`, 0)).upSeconds;
      const again = await time(`pulumi up (create), round ${round}`, () => stack.up(quiet));
      if (again.value.summary.result !== "succeeded")
        throw new Error(`up of round ${round} failed`);
      await stack.destroy(quiet);
      if (!floorFirst)
        floorSeconds = (await engineFloor(root, cli, env, `floor-${round}`, 0)).upSeconds;
      upRounds.push({ seconds: again.seconds, floorSeconds });
    }
    const roundRatios = upRounds.map((r) => r.seconds / r.floorSeconds);
    // The floor's outputs repeat its inputs, so half the bytes go in as its payload.
    const sized = await engineFloor(root, cli, env, "floor-sized", Math.round(stateBytes / 2));
    // The same size again, part of it a secret as an RlsTable's connection is: what encryption adds.
    const secretBytes = stateBytesByField.connection ?? 0;
    const sizedSecret = await engineFloor(
      root,
      cli,
      env,
      "floor-sized-secret",
      Math.max(0, Math.round((stateBytes - secretBytes) / 2)),
      true,
    );
    // The same again with an RlsTable's shape: its own inputs and outputs (the secret connection
    // and the floor's serialized provider in place of our loader, padded to our loader's size).
    const shapeFile = join(root, "rls-table-shape.json");
    const first = tables[0] as {
      inputs: Record<string, unknown>;
      outputs: Record<string, unknown>;
    };
    const { __provider: _ours, connection: _secret, ...shapeInputs } = first.inputs;
    const added = Object.fromEntries(
      Object.entries(first.outputs).filter(([k]) => !(k in first.inputs)),
    );
    // Inputs the outputs do not repeat (the declaration: infra/rls/stored.ts).
    const omitted = Object.keys(first.inputs).filter((k) => !(k in first.outputs));
    writeFileSync(shapeFile, JSON.stringify({ inputs: shapeInputs, added, omitted }));
    const shaped = await engineFloor(
      root,
      cli,
      env,
      "floor-shaped",
      // The payload is stored twice (outputs repeat it), as the loader is: pad by half the difference.
      Math.max(0, Math.round(((stateBytesByField.__provider ?? 0) - floor.providerBytes) / 2)),
      true,
      shapeFile,
    );

    const result = {
      benchmark: "rls-engine",
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        node: process.version,
        postgres: server.major,
        loadAverage: loadAtStart,
        pulumi: cli.version,
      },
      workload: { tables: all.length, policies: all.length * 4 },
      baseline: { name: "psql -f", seconds: psql },
      floor: { resources: all.length, ...floor },
      floorSameStateSize: {
        resources: all.length,
        ...sized,
        stateBytesPerResource: stateBytes,
        floorStateBytesPerResource: sized.stateBytesPerResource,
        stateBytesByField,
        stateValuesPerResource: stateValues,
        stateValuesByField,
      },
      floorSameStateSizeWithSecret: { resources: all.length, ...sizedSecret },
      floorSameShapeWithSecret: { resources: all.length, ...shaped },
      up: {
        seconds: up.seconds,
        ratioToPsql: up.seconds / psql,
        // The median of the rounds' own ratios (one round: that round's).
        ratioToFloor: median(roundRatios),
        rounds: upRounds.map((r, i) => ({ ...r, ratioToFloor: roundRatios[i]! })),
        ratioToSameSizeFloor: up.seconds / sized.upSeconds,
        ratioToSameShapeFloor: up.seconds / shaped.upSeconds,
      },
      previewRefreshNoOp: {
        seconds: previewRefresh.seconds,
        changes: previewRefresh.value.changeSummary,
        ...previewCounts,
      },
      upNoOp: {
        seconds: upNoop.seconds,
        ratioToFloor: upNoop.seconds / floor.upNoOpSeconds,
        ratioToSameSizeFloor: upNoop.seconds / sized.upNoOpSeconds,
        ratioToSameShapeFloor: upNoop.seconds / shaped.upNoOpSeconds,
        ...upNoopCounts,
      },
      destroy: {
        seconds: destroy.seconds,
        ratioToFloor: destroy.seconds / floor.destroySeconds,
        ratioToSameSizeFloor: destroy.seconds / sized.destroySeconds,
        ratioToSameShapeFloor: destroy.seconds / shaped.destroySeconds,
      },
      goalRatioToFloor: 2,
      ...(PROFILE_DIR ? { engineProfiles: engineProfiles(PROFILE_DIR, cli.bin) } : {}),
    };
    mkdirSync(join(REPO_ROOT, "bench", "results"), { recursive: true });
    writeFileSync(
      join(REPO_ROOT, "bench", "results", "rls-engine.json"),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    writeSummary();
    await stack.workspace.removeStack(STACK).catch(() => undefined);
  } finally {
    for (const drop of drops) await drop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
    await server.stop();
  }
}

/**
 * The floor: the same CLI, language host, TypeScript runtime options and file
 * backend (its own directory), with as many do-nothing dynamic resources.
 */
async function engineFloor(
  root: string,
  cli: Awaited<ReturnType<typeof ensurePulumiCli>>,
  baseEnv: Record<string, string>,
  name: string,
  payloadBytes: number,
  secret = false,
  shapeFile?: string,
): Promise<{
  upSeconds: number;
  upNoOpSeconds: number;
  destroySeconds: number;
  stateBytesPerResource: number;
  providerBytes: number;
}> {
  const workDir = join(root, name);
  const backend = join(root, `${name}-state`);
  for (const d of [workDir, backend]) mkdirSync(d, { recursive: true });
  writeFileSync(
    join(workDir, "Pulumi.yaml"),
    stringifyYaml({
      name: "floor",
      runtime: {
        name: "nodejs",
        options: { typescript: true, tsconfig: join(REPO_ROOT, "tsconfig.json") },
      },
      main: join(REPO_ROOT, "bench", "rls", "engine-floor", "index.ts"),
    }),
  );
  const env: Record<string, string> = {
    ...baseEnv,
    PULUMI_BACKEND_URL: `file://${backend}`,
    BENCH_FLOOR_RESOURCES: String(tableSpecs().length),
    BENCH_FLOOR_PAYLOAD_BYTES: String(payloadBytes),
    BENCH_FLOOR_SECRET: secret ? "1" : "0",
    ...(shapeFile ? { BENCH_FLOOR_SHAPE_FILE: shapeFile } : {}),
  };
  const workspace = await LocalWorkspace.create({
    workDir,
    pulumiHome: env.PULUMI_HOME,
    envVars: env,
    secretsProvider: "passphrase",
    pulumiCommand: await PulumiCommand.get({
      root: cliRoot(root, cli, name),
      skipVersionCheck: true,
    }),
  });
  const stack = await Stack.create(name, workspace);
  const quiet = { color: "never" as const, suppressProgress: true, showSecrets: false };
  const seconds = async (label: string, run: () => Promise<unknown>) => {
    const started = process.hrtime.bigint();
    await run();
    const s = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(`[bench:rls:engine] ${name} ${label}: ${s.toFixed(2)} s`);
    return s;
  };
  const upSeconds = await seconds("pulumi up (create)", () => stack.up(quiet));
  const upNoOpSeconds = await seconds("pulumi up (no-op)", () => stack.up(quiet));
  const resources =
    (
      (await stack.exportStack()).deployment as {
        resources?: { type: string; inputs?: unknown; outputs?: unknown }[];
      }
    ).resources?.filter((r) => r.type.endsWith(":Noop")) ?? [];
  const stateBytesPerResource = Math.round(
    resources.reduce(
      (n, r) => n + JSON.stringify(r.inputs).length + JSON.stringify(r.outputs).length,
      0,
    ) / Math.max(1, resources.length),
  );
  const first = resources[0] as {
    inputs?: { __provider?: string };
    outputs?: { __provider?: string };
  };
  const providerBytes =
    JSON.stringify(first?.inputs?.__provider ?? "").length +
    JSON.stringify(first?.outputs?.__provider ?? "").length;
  const destroySeconds = await seconds("pulumi destroy", () => stack.destroy(quiet));
  await stack.workspace.removeStack(name).catch(() => undefined);
  return { upSeconds, upNoOpSeconds, destroySeconds, stateBytesPerResource, providerBytes };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Values in a state property as the engine holds them: every object, array and scalar. */
function countValues(v: unknown): number {
  if (Array.isArray(v)) return 1 + v.reduce((n: number, x) => n + countValues(x), 0);
  if (v !== null && typeof v === "object")
    return 1 + Object.values(v).reduce((n: number, x) => n + countValues(x), 0);
  return 1;
}

/** Where the engine's CPU went, by the CLI's CPU profile of each up and destroy. */
const PROFILE_PARTS = {
  saveSnapshot: "backend.(*SnapshotManager).saveSnapshot",
  jsonMarshal: "diy.compactJSONMarshaler.Marshal",
  serializeDeployment: "backend.(*SnapshotManager).Deployment",
  md5: "crypto/md5.(*digest).Write",
  backupCopy: "diy.(*wrappedBucket).Copy",
};

/**
 * Seconds per part for each profile in `dir` (`go tool pprof -top -cum`), in the
 * order the runs happened: per stack, up (create), up (no-op), destroy.
 */
function engineProfiles(dir: string, bin: string) {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".cpu"))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
  const seconds = (v: string) => {
    const n = Number.parseFloat(v);
    return v.endsWith("ms") ? n / 1000 : n;
  };
  return files.map((file) => {
    const out = spawnSync("go", ["tool", "pprof", "-top", "-cum", "-nodecount=100000", bin, file], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    if (out.status !== 0)
      return {
        run: basename(file),
        error: out.error
          ? `could not run go tool pprof (${out.error.message}): install Go to read the profiles`
          : `go tool pprof failed: ${(out.stderr ?? "").trim()}`,
      };
    const total = /Total samples = ([\d.]+m?s)/.exec(out.stdout)?.[1];
    const parts: Record<string, number> = {};
    for (const line of out.stdout.split("\n")) {
      const cols = line.trim().split(/\s+/);
      const fn = cols[5];
      for (const [k, suffix] of Object.entries(PROFILE_PARTS))
        if (fn?.endsWith(suffix) && parts[k] === undefined) parts[k] = seconds(cols[3]!);
    }
    return { run: basename(file), sampledCpuSeconds: total ? seconds(total) : null, ...parts };
  });
}

main().catch((error: Error) => {
  console.error(`[bench:rls:engine] failed: ${error.message}`);
  process.exit(1);
});
