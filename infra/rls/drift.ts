/**
 * `rls:drift`: what `pulumi up` would change, per declared table, without
 * running the engine or reading its state: the declaration against the live
 * catalog (expressions normalized on temporary tables, see normalize.ts).
 * Read-only for every real table, so it can run against production at any
 * time — the same comparison the provider's diff makes.
 */
import type { Finding } from "../lib/findings";
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

/**
 * The report in the one finding shape: a table that differs or is missing is
 * high (the isolation the stack declares is not the one in force), a table as
 * declared is fine, and no declared table to compare is "could not check".
 */
export function driftFindings(report: DriftReport, stack?: string): Finding[] {
  const up = stack ? `pulumi up -s ${stack}` : "pulumi up";
  if (report.tables.length === 0)
    return [
      {
        id: "rls-drift",
        severity: "high",
        subject: "runbooks:rls.tables",
        message: "no declared tables to compare",
        fix: "declare tables in runbooks:rls.tables (or RLS_TABLES_IN_CODE), or widen --schemas",
        couldNotCheck: true,
      },
    ];
  const findings: Finding[] = [];
  for (const t of report.tables) {
    if (t.status === "in sync") {
      findings.push({
        id: "rls-drift",
        severity: "info",
        subject: t.table,
        message: `${t.table}: as declared`,
        fix: "",
      });
    } else if (t.status === "missing") {
      findings.push({
        id: "rls-drift",
        severity: "high",
        subject: t.table,
        message: `${t.table}: declared, but the table does not exist`,
        fix: "run the app's migration that creates it, or remove its declaration",
      });
    } else {
      findings.push({
        id: "rls-drift",
        severity: "high",
        subject: t.table,
        message: `${t.table}: differs from the declaration (${t.differences.length} difference(s))`,
        details: [...t.differences, ...t.plan.map((step) => `up would ${step}`)],
        fix: `${up} puts it back; if the change is wanted, declare it first`,
      });
    }
    // An expression that could not be normalized was not compared: never counted as in sync.
    if (t.expressionsNotCompared)
      findings.push({
        id: "rls-drift",
        severity: "medium",
        subject: t.table,
        message: `${t.table}: expressions not compared — ${t.expressionsNotCompared}`,
        fix: "fix the declared expressions Postgres refuses (npm run rls:lint names them)",
        couldNotCheck: true,
      });
  }
  return findings;
}

/** The closing line of the human output: how many tables differ. */
export function driftSummary(report: DriftReport): string {
  const drifted = report.tables.filter((t) => t.status !== "in sync").length;
  return drifted === 0
    ? `${report.tables.length} table(s) as declared; pulumi up would change nothing.`
    : `${drifted} of ${report.tables.length} table(s) differ from the declaration; pulumi up puts them back.`;
}
