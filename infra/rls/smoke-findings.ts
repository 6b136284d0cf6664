/** What `rls:smoke` reports, in the one finding shape. */
import type { Finding } from "../lib/findings";
import type { SmokeReport } from "./smoke-plan";

const ACTOR: Record<string, string> = {
  anon: "anon",
  tenant_a: "tenant A",
  tenant_b: "tenant B",
  service_role: "service_role",
};

/**
 * The smoke report as findings. A probe allowed where the declaration denies
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
