/**
 * The runbook's "Verify Recovery", automatic: restore the latest backup into
 * a scratch database, compare row counts with the manifest, run the RLS
 * lints and the RLS smoke test on it (so row-level security survived the
 * restore), drop the scratch database, and report pass or fail with timings.
 *
 * The scratch database is created from template0 on the server of
 * `scratchServerUrl` (a role with CREATEDB), named after the backup, and
 * dropped whatever happened.
 */
import type { Finding } from "../lib/findings";
import { closePools, withConnection } from "../postgres/client";
import { quoteIdent } from "../postgres/identifiers";
import { readLintCatalog } from "../rls/lint-catalog";
import { lintRls, type LintSettings } from "../rls/lints/index";
import type { TableSpec } from "../rls/model";
import { runSmoke } from "../rls/smoke";
import type { ProgressCallback } from "./progress";
import { runRestore, type RestoreReport, type TableComparison } from "./restore";
import type { S3Location } from "./s3";

export interface DrillOptions {
  /** A connection string to the server to restore on; its role needs CREATEDB. Secret. */
  scratchServerUrl: string;
  location: S3Location;
  from?: string;
  encryptionKey?: string;
  /** The stack's RLS declarations and settings; omitted: the RLS checks are skipped (and said so). */
  rls?: { tables: TableSpec[]; settings: LintSettings };
  onProgress?: ProgressCallback;
  env?: NodeJS.ProcessEnv;
}

/**
 * One finding per table whose restored rows differ from the manifest. An
 * exact count that differs means the backup is not what was dumped; an
 * estimate may simply have drifted, and when the backup's own count fell
 * back to one (a lock held it), the manifest's note says why.
 */
export function rowCountFindings(tables: readonly TableComparison[]): Finding[] {
  return tables
    .filter((t) => !t.matches)
    .map((t) => ({
      id: "require-row-counts-to-match-manifest",
      severity: t.exact ? ("critical" as const) : ("medium" as const),
      subject: `${t.schema}.${t.table}`,
      message: `restored ${t.restored} rows; the manifest says ${t.rows} (${
        t.exact ? "exact count" : t.note ? `estimate: ${t.note}` : "estimate"
      })`,
      fix: t.exact
        ? "the backup does not hold what was dumped: take a new backup and compare"
        : t.note
          ? "the backup could not count this table exactly (see the estimate's note): compare with count(*) on the source, and check that the next backup counts it exactly"
          : "estimates drift with autovacuum; compare with an exact count on the source",
    }));
}

export interface DrillReport {
  passed: boolean;
  backupId?: string;
  scratchDatabase: string;
  restore?: Pick<RestoreReport, "tables" | "bytes" | "seconds">;
  rls: { lintFindings: number; smokeMismatches: number; skipped?: string };
  seconds: { restore: number; checks: number; total: number };
  findings: Finding[];
}

function scratchUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const started = Date.now();
  const name = `runbooks_drill_${Date.now().toString(36)}_${process.pid}`;
  const findings: Finding[] = [];
  const report: DrillReport = {
    passed: false,
    scratchDatabase: name,
    rls: { lintFindings: 0, smokeMismatches: 0 },
    seconds: { restore: 0, checks: 0, total: 0 },
    findings,
  };
  const admin = { connectionString: options.scratchServerUrl, applicationName: "runbooks-drill" };
  await withConnection(admin, "create the drill's scratch database", (c) =>
    c.query(`create database ${quoteIdent(name)} template template0`),
  );
  const url = scratchUrl(options.scratchServerUrl, name);
  try {
    const restoreStarted = Date.now();
    let restored: RestoreReport;
    try {
      restored = await runRestore({
        databaseUrl: url,
        location: options.location,
        from: options.from,
        encryptionKey: options.encryptionKey,
        onProgress: options.onProgress,
        env: options.env,
      });
    } catch (error) {
      findings.push({
        id: "require-restorable-backup",
        severity: "critical",
        subject: options.from ?? "latest backup",
        message: `the backup could not be restored: ${(error as Error).message}`,
        fix: "take a new backup now (npm run backup) and investigate the failed one; do not rely on it",
      });
      return report;
    }
    report.seconds.restore = (Date.now() - restoreStarted) / 1000;
    report.backupId = restored.id;
    report.restore = { tables: restored.tables, bytes: restored.bytes, seconds: restored.seconds };
    findings.push(...rowCountFindings(restored.tables));
    const checksStarted = Date.now();
    if (!options.rls) {
      report.rls.skipped = "no RLS declarations given (pass --stack to check the stack's tables)";
    } else {
      const { tables, settings } = options.rls;
      const catalog = await withConnection(
        { connectionString: url, applicationName: "runbooks-drill" },
        "read the restored catalog",
        (c) => readLintCatalog(c, { ...settings, declaredSchemas: tables.map((t) => t.schema) }),
      );
      const lint = (await lintRls(catalog, tables, settings)).filter(
        (f) => f.severity === "critical" || f.severity === "high",
      );
      report.rls.lintFindings = lint.length;
      findings.push(...lint.map((f) => ({ ...f, message: `after restore: ${f.message}` })));
      if (tables.length > 0) {
        const smoke = await runSmoke({ connectionString: url, tables, appRole: settings.appRole });
        report.rls.smokeMismatches = smoke.mismatches.length + smoke.couldNotCheck.length;
        // One finding per table, not per probe: a restore that lost RLS fails every probe.
        const byTable = new Map<string, string[]>();
        for (const m of smoke.mismatches)
          byTable.set(m.table, [
            ...(byTable.get(m.table) ?? []),
            `${m.actor} ${m.command} row ${m.row}: ${m.actual}, declared ${m.expected}`,
          ]);
        for (const [table, probes] of byTable)
          findings.push({
            id: "require-rls-isolation-after-restore",
            severity: "critical",
            subject: table,
            message: `the RLS smoke test found ${probes.length} probe(s) that differ from the declaration on the restored table`,
            fix: "compare the restored policies with the source (npm run rls:lint); a backup taken before RLS was applied restores without it",
            details: probes,
          });
        for (const t of smoke.couldNotCheck)
          findings.push({
            id: "require-rls-isolation-after-restore",
            severity: "high",
            subject: t,
            message: "the RLS smoke test could not check this table on the restored database",
            fix: "run npm run rls:smoke against a restore to see why",
          });
      }
    }
    report.seconds.checks = (Date.now() - checksStarted) / 1000;
    report.passed = !findings.some((f) => f.severity === "critical" || f.severity === "high");
    return report;
  } finally {
    await closePools();
    await withConnection(admin, "drop the drill's scratch database", (c) =>
      c.query(`drop database if exists ${quoteIdent(name)} with (force)`),
    );
    await closePools();
    report.seconds.total = (Date.now() - started) / 1000;
  }
}
