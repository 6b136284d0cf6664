/**
 * bench/results/rls.md from whichever of rls.json (provider) and
 * rls-engine.json (whole engine) exist.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../infra/lib/paths";

const RESULTS = join(REPO_ROOT, "bench", "results");

interface ProviderResult {
  date: string;
  machine: { cpus: number; node: string; postgres: number; loadAverage: string };
  workload: { tables: number; policies: number; statementsInSqlFile: number; rounds: number };
  baseline: { secondsMedian: number };
  provider: {
    concurrency: number;
    secondsMedian: number;
    ratioToPsql: number;
    meetsGoal: boolean;
  }[];
  goalRatio: number;
  noOpRefresh: {
    seconds: number;
    catalogSnapshotQueries: number;
    ddlStatements: number;
    totalStatements: number;
    changes: number;
  };
  noOpUpdate: { seconds: number; ddlStatements: number; totalStatements: number };
}

interface EngineResult {
  date: string;
  machine: { loadAverage: string; pulumi: string };
  workload: { tables: number; policies: number };
  baseline: { seconds: number };
  floor?: { resources: number; upSeconds: number; upNoOpSeconds: number; destroySeconds: number };
  floorSameStateSize?: {
    stateBytesPerResource: number;
    upSeconds: number;
    upNoOpSeconds: number;
    destroySeconds: number;
  };
  floorSameStateSizeWithSecret?: {
    upSeconds: number;
    upNoOpSeconds: number;
    destroySeconds: number;
  };
  floorSameShapeWithSecret?: {
    upSeconds: number;
    upNoOpSeconds: number;
    destroySeconds: number;
    stateBytesPerResource: number;
  };
  goalRatioToFloor?: number;
  up: {
    seconds: number;
    ratioToPsql: number;
    ratioToFloor?: number;
    ratioToSameSizeFloor?: number;
    ratioToSameShapeFloor?: number;
    /** Each round of the first `up` and the floor's (`--rounds`); `ratioToFloor` is their median. */
    rounds?: { seconds: number; floorSeconds: number; ratioToFloor: number }[];
  };
  previewRefreshNoOp: {
    seconds: number;
    catalogSnapshotQueries: number;
    ddlStatements: number;
    totalStatements: number;
  };
  upNoOp: {
    seconds: number;
    ratioToFloor?: number;
    ratioToSameSizeFloor?: number;
    ratioToSameShapeFloor?: number;
    catalogSnapshotQueries: number;
    ddlStatements: number;
    totalStatements: number;
  };
  destroy: {
    seconds: number;
    ratioToFloor?: number;
    ratioToSameSizeFloor?: number;
    ratioToSameShapeFloor?: number;
  };
}

/** With --rounds, every round of the first `up`: the table's ratio is their median. */
function roundsLine(r: EngineResult): string {
  const rounds = r.up.rounds ?? [];
  if (rounds.length < 2) return "";
  const each = rounds
    .map(
      (x) =>
        `${x.seconds.toFixed(2)} s / ${x.floorSeconds.toFixed(2)} s = ${ratio(x.ratioToFloor)}`,
    )
    .join("; ");
  return `The first \`up\` against the floor's, in ${rounds.length} rounds (ours first in odd rounds, the floor first in even ones): ${each}. The ratio above is their median, **${ratio(r.up.ratioToFloor)}**.\n\n`;
}

function ratio(value: number | undefined): string {
  return value === undefined ? "" : `${value.toFixed(2)}×`;
}

function read<T>(file: string): T | undefined {
  const path = join(RESULTS, file);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as T) : undefined;
}

export function providerSection(r: ProviderResult): string {
  const rows = r.provider.map(
    (p) =>
      `| provider, ${p.concurrency === 1 ? "serial" : `${p.concurrency} at a time`} | ${p.secondsMedian.toFixed(3)} s | ${p.ratioToPsql.toFixed(2)}× | ${p.meetsGoal ? "yes" : "no"} |`,
  );
  return `## Provider (bench/rls/apply.ts)

${r.date} · ${r.machine.cpus} CPU(s) · Node ${r.machine.node} · PostgreSQL ${r.machine.postgres} · median of ${r.workload.rounds} rounds after one uncounted warm-up · load average at start ${r.machine.loadAverage}

Workload: ${r.workload.policies} policies on ${r.workload.tables} tables (tenant isolation, 4 per table) plus ENABLE and FORCE ROW LEVEL SECURITY, on tables without RLS.
Baseline: the same ${r.workload.statementsInSqlFile} statements in one file, run by \`psql -f\` in the same run; each side on a fresh clone of the same database.
Provider: \`check\` + \`create\` per table as the engine calls them (parse, one transaction per table with lock_timeout, read-back and convergence check), without the engine.

| run | wall time | ratio to psql -f | within ${r.goalRatio}× |
| --- | --- | --- | --- |
| psql -f (baseline) | ${r.baseline.secondsMedian.toFixed(3)} s | 1.00× | |
${rows.join("\n")}

No-op refresh + check + diff of all ${r.workload.tables} resources by a fresh provider: ${r.noOpRefresh.seconds.toFixed(3)} s, **${r.noOpRefresh.catalogSnapshotQueries} catalog query, ${r.noOpRefresh.ddlStatements} DDL** (${r.noOpRefresh.totalStatements} statement(s) in all), ${r.noOpRefresh.changes} resources with changes.

No-op update of all ${r.workload.tables} (provider code changed, nothing else): ${r.noOpUpdate.seconds.toFixed(3)} s, ${r.noOpUpdate.ddlStatements} DDL, no table locked.
`;
}

export function engineSection(r: EngineResult): string {
  return `## Whole engine (bench/rls/engine.ts)

${r.date} · Pulumi ${r.machine.pulumi} (built from Go modules) · load average at start ${r.machine.loadAverage}

Baselines, same run: \`psql -f\` of the same statements, and the **engine floor**: the same CLI, language host, runtime options and kind of backend with ${r.floor?.resources ?? r.workload.tables} dynamic resources that do nothing (bench/rls/engine-floor/). The ratio to the floor is this project's own cost (goal: at most ${r.goalRatioToFloor ?? 2}×).

The same floor with each resource carrying ${r.floorSameStateSize?.stateBytesPerResource ?? "?"} bytes of state (what an RlsTable stores: inputs, outputs and the serialized loader) separates what state size costs the file backend, which rewrites the whole state after every step, from what the provider does.

| run | wall time | ratio to psql -f | floor | ratio to the floor | same-size floor | ratio |
| --- | --- | --- | --- | --- | --- | --- |
| psql -f (baseline, same run) | ${r.baseline.seconds.toFixed(3)} s | 1.00× | | | | |
| \`pulumi up\`, ${r.workload.tables} RlsTable resources from empty | ${r.up.seconds.toFixed(2)} s | ${r.up.ratioToPsql.toFixed(1)}× | ${r.floor ? `${r.floor.upSeconds.toFixed(2)} s` : ""} | **${ratio(r.up.ratioToFloor)}** | ${r.floorSameStateSize ? `${r.floorSameStateSize.upSeconds.toFixed(2)} s` : ""} | ${ratio(r.up.ratioToSameSizeFloor)} |
| \`pulumi preview --refresh\`, nothing changed | ${r.previewRefreshNoOp.seconds.toFixed(2)} s | | | | | |
| \`pulumi up\`, nothing changed | ${r.upNoOp.seconds.toFixed(2)} s | | ${r.floor ? `${r.floor.upNoOpSeconds.toFixed(2)} s` : ""} | ${ratio(r.upNoOp.ratioToFloor)} | ${r.floorSameStateSize ? `${r.floorSameStateSize.upNoOpSeconds.toFixed(2)} s` : ""} | ${ratio(r.upNoOp.ratioToSameSizeFloor)} |
| \`pulumi destroy\` | ${r.destroy.seconds.toFixed(2)} s | | ${r.floor ? `${r.floor.destroySeconds.toFixed(2)} s` : ""} | ${ratio(r.destroy.ratioToFloor)} | ${r.floorSameStateSize ? `${r.floorSameStateSize.destroySeconds.toFixed(2)} s` : ""} | ${ratio(r.destroy.ratioToSameSizeFloor)} |

${roundsLine(r)}${
    r.floorSameStateSizeWithSecret
      ? `The same-size floor with a secret input the size of an RlsTable's connection string (encrypted in every checkpoint, as the RlsTable's is): up ${r.floorSameStateSizeWithSecret.upSeconds.toFixed(2)} s, no-op up ${r.floorSameStateSizeWithSecret.upNoOpSeconds.toFixed(2)} s, destroy ${r.floorSameStateSizeWithSecret.destroySeconds.toFixed(2)} s.\n\n`
      : ""
  }${
    r.floorSameShapeWithSecret
      ? `The same-size floor with the secret and an RlsTable's own inputs and outputs as its state (nested policies and catalog states instead of one string; ${r.floorSameShapeWithSecret.stateBytesPerResource} bytes per resource): up ${r.floorSameShapeWithSecret.upSeconds.toFixed(2)} s (${ratio(r.up.ratioToSameShapeFloor)} of it), no-op up ${r.floorSameShapeWithSecret.upNoOpSeconds.toFixed(2)} s (${ratio(r.upNoOp.ratioToSameShapeFloor)}), destroy ${r.floorSameShapeWithSecret.destroySeconds.toFixed(2)} s (${ratio(r.destroy.ratioToSameShapeFloor)}).\n\n`
      : ""
  }No-op \`preview --refresh\`: **${r.previewRefreshNoOp.catalogSnapshotQueries} catalog query, ${r.previewRefreshNoOp.ddlStatements} DDL** (${r.previewRefreshNoOp.totalStatements} statement(s) in all). No-op \`up\` (its diff compares every table with the live catalog): **${r.upNoOp.catalogSnapshotQueries} catalog query, ${r.upNoOp.ddlStatements} DDL** (${r.upNoOp.totalStatements} statement(s) in all).

Before the loader (today infra/lib/dynamic/stub.ts and boot.cjs), the provider was serialized by value (~75 KB in every resource's state, and the file backend rewrites the whole state after each step): on this machine the same \`pulumi up\` took 144 s and \`pulumi destroy\` 128 s; at 100 tables, 27 s with checkpoints against 6 s with \`PULUMI_SKIP_CHECKPOINTS=true\` — quadratic in the number of tables.
`;
}

export function writeSummary(): void {
  const provider = read<ProviderResult>("rls.json");
  const engine = read<EngineResult>("rls-engine.json");
  const sections = [provider ? providerSection(provider) : "", engine ? engineSection(engine) : ""];
  writeFileSync(
    join(RESULTS, "rls.md"),
    ["# RLS benchmarks", "", ...sections.filter((p) => p !== "")].join("\n"),
  );
}
