/**
 * `rls:drift`: what `pulumi up` would change, per declared table, without
 * running the engine or reading its state: the declaration against the live
 * catalog (expressions normalized on temporary tables, see normalize.ts).
 * Read-only for every real table, so it can run against production at any
 * time — the same comparison the provider's diff makes.
 */
import { withConnection } from "../postgres/client";
import { readCatalogSnapshot } from "./catalog";
import { compareWithDeclaration, type Comparison } from "./declared-vs-live";
import { tableKey, type TableSpec } from "./model";
import { normalizeDeclared } from "./normalize";

export interface DriftOptions {
  connectionString: string;
  /** The stack's declared tables. */
  tables: readonly TableSpec[];
  /** `--schemas a,b`: only the declared tables of these schemas. */
  schemas?: readonly string[];
  /** Seconds a catalog read may wait behind a migration's lock. Default 5. */
  lockTimeoutSeconds?: number;
}

export type DriftStatus = "in sync" | "drifted" | "missing";

export interface DriftReport {
  /** Every compared table is as declared. */
  ok: boolean;
  tables: (Comparison & { status: DriftStatus })[];
}

export async function driftReport(options: DriftOptions): Promise<DriftReport> {
  const schemas = options.schemas ? new Set(options.schemas) : undefined;
  const tables = options.tables.filter((t) => !schemas || schemas.has(t.schema));
  const lockTimeoutSeconds = options.lockTimeoutSeconds ?? 5;
  const compared = await withConnection(
    { connectionString: options.connectionString, applicationName: "runbooks-rls-drift" },
    "read the catalog for rls:drift",
    async (client) => {
      const snapshot = await readCatalogSnapshot(
        client,
        [...new Set(tables.map((t) => t.schema))],
        lockTimeoutSeconds * 1000,
      );
      const present = tables.filter((t) => snapshot.tables.has(tableKey(t)));
      const normalized = await normalizeDeclared(client, present, lockTimeoutSeconds);
      return tables.map((t) =>
        compareWithDeclaration(t, snapshot.tables.get(tableKey(t)), normalized.get(tableKey(t))),
      );
    },
  );
  const withStatus = compared.map((c) => ({
    ...c,
    status: (c.missing
      ? "missing"
      : c.differences.length > 0
        ? "drifted"
        : "in sync") as DriftStatus,
  }));
  return { ok: withStatus.every((t) => t.status === "in sync"), tables: withStatus };
}

/** 0 all as declared, 1 drift found; no declared table to compare is "could not check" (2). */
export function driftExitCode(report: DriftReport): 0 | 1 | 2 {
  if (report.tables.length === 0) return 2;
  return report.ok ? 0 : 1;
}

/** One block per table that differs, one line for those that do not. */
export function renderDrift(report: DriftReport): string {
  if (report.tables.length === 0)
    return "No declared tables to compare: declare tables in runbooks:rls.tables (or pass --stack).";
  const lines: string[] = [];
  for (const t of report.tables) {
    if (t.status === "in sync") {
      lines.push(
        `${t.table}: in sync${t.expressionsNotCompared ? ` (expressions not compared: ${t.expressionsNotCompared})` : ""}`,
      );
      continue;
    }
    lines.push(`${t.table}: ${t.status.toUpperCase()}`);
    for (const d of t.differences) lines.push(`  - ${d}`);
    for (const step of t.plan) lines.push(`  up would ${step}`);
    if (t.status === "missing")
      lines.push("  run the app's migration that creates it, or remove its declaration");
    if (t.expressionsNotCompared)
      lines.push(`  expressions not compared: ${t.expressionsNotCompared}`);
  }
  const drifted = report.tables.filter((t) => t.status !== "in sync").length;
  lines.push(
    "",
    drifted === 0
      ? `OK: ${report.tables.length} table(s) as declared; pulumi up would change nothing.`
      : `DRIFT: ${drifted} of ${report.tables.length} table(s) differ from the declaration; pulumi up puts them back.`,
  );
  return lines.join("\n");
}
