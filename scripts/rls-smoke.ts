/** `rls:smoke` — prove tenant isolation as the real roles, in transactions that are always rolled back. */
import type { Finding } from "../infra/lib/findings";
import { closePools } from "../infra/postgres/client";
import { discoverTenantTables, runSmoke } from "../infra/rls/smoke";
import { renderMatrix, type SmokeReport } from "../infra/rls/smoke-plan";
import { tableKey } from "../infra/rls/model";
import { defineCommand, UsageError, type ArgSpecs } from "./lib/command";
import { runAsMain } from "./lib/main";
import { rlsSettings } from "./lib/rls-settings";

const ARGS = {
  "tenant-column": {
    type: "string",
    valueHint: "name",
    default: "tenant_id",
    description: "without --stack: RLS tables with this column are tenant tables",
  },
  "tenant-claim": {
    type: "string",
    valueHint: "path",
    default: "tenant_id",
    description: "without --stack: the JWT claim holding the tenant id",
  },
  table: { type: "string", valueHint: "schema.table", description: "only this table" },
} as const satisfies ArgSpecs;

const ACTOR: Record<string, string> = {
  anon: "anon",
  tenant_a: "tenant A",
  tenant_b: "tenant B",
  service_role: "service_role",
};

/**
 * ADAPTER — remove when infra/rls/smoke-findings.ts (`smokeFindings`) lands:
 * the smoke report as findings. A probe allowed where the declaration denies
 * is a leak (critical); denied where it allows is a lock-out (high); a table
 * that could not be seeded could not be checked (high); a skipped table is
 * deliberately not checked (info).
 */
export function smokeFindings(report: SmokeReport): Finding[] {
  const findings: Finding[] = [];
  for (const t of report.tables) {
    if (t.status === "skipped") {
      findings.push({
        id: "rls-smoke",
        severity: "info",
        subject: t.table,
        message: `${t.table}: skipped — ${t.reason ?? ""}`,
        fix: "",
        couldNotCheck: true,
      });
      continue;
    }
    if (t.status === "error") {
      findings.push({
        id: "rls-smoke",
        severity: "high",
        subject: t.table,
        message: `${t.table}: could not check — ${t.reason ?? "unknown error"}`,
        fix: "connect as a role that can bypass RLS to seed (e.g. postgres), or declare a default for the column named",
        couldNotCheck: true,
      });
      continue;
    }
    const wrong = t.probes.filter((p) => !p.ok);
    if (wrong.length === 0)
      findings.push({
        id: "rls-smoke",
        severity: "info",
        subject: t.table,
        message: `${t.table}: ${t.probes.length} probes, all as declared`,
        fix: "",
      });
    for (const p of wrong) {
      const whose = p.row === "a" ? "A's" : "B's";
      const leak = p.actual === "allowed";
      findings.push({
        id: "rls-smoke",
        severity: leak ? "critical" : "high",
        subject: t.table,
        message: `${t.table}: ${ACTOR[p.actor]} ${p.command} on ${whose} row ${p.actual === "error" ? "raised an error" : `was ${p.actual}`}, declared ${p.expected}${leak ? " (a leak)" : ""}`,
        details: [p.detail],
        fix: leak
          ? `find the policy that lets it through: npm run rls:lint -- --stack <stack> (undeclared or USING (true) policies), then pulumi up`
          : `the declared policies lock this actor out: check the policies of ${t.table} (npm run rls:lint), then pulumi up`,
      });
    }
  }
  return findings;
}

export const rlsSmoke = defineCommand({
  name: "rls:smoke",
  description: "Prove tenant isolation as anon, two tenants and service_role; nothing is committed",
  help:
    "Impersonates anon, two authenticated users in two tenants, and service_role (SET ROLE +\n" +
    "request.jwt.claims, as PostgREST does) and checks SELECT, INSERT, UPDATE and DELETE on every\n" +
    "declared tenant table. Seed rows are rolled back: safe on production (sequences still advance).\n" +
    "Connect as a role that can bypass RLS to seed (e.g. postgres).",
  shared: ["stack", "database-url", "json", "quiet"],
  args: ARGS,
  cleanup: closePools,
  async run({ args, stack, database }) {
    const { database: db, tables: declared } = rlsSettings(stack);
    let tables = stack
      ? declared
      : await discoverTenantTables(database.connectionString, {
          schemas: db.exposedSchemas,
          tenantColumn: args["tenant-column"],
          tenantClaim: args["tenant-claim"],
        });
    if (args.table !== undefined) {
      tables = tables.filter((t) => tableKey(t) === args.table);
      if (tables.length === 0)
        throw new UsageError(
          `--table ${args.table} is not among the declared (or discovered) tables`,
        );
    }
    if (tables.length === 0)
      return {
        findings: [
          {
            id: "rls-smoke",
            severity: "high",
            subject: database.target,
            message: "no tenant tables to check",
            fix: "declare tenantColumn/ownerColumn/publicRead (runbooks:rls.tables), or pass --tenant-column",
            couldNotCheck: true,
          },
        ],
      };
    const report = await runSmoke({
      connectionString: database.connectionString,
      tables,
      appRole: db.appRole,
    });
    return { findings: smokeFindings(report), report, text: renderMatrix(report).split("\n") };
  },
});

runAsMain(module, rlsSmoke);
