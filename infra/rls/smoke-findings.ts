/** What `rls:smoke` reports, in the one finding shape. */
import type { Finding } from "../lib/findings";
import type { ProbeResult, SmokeReport } from "./smoke-plan";

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
    for (const p of wrong) findings.push(probeFinding(t.table, p));
  }
  return findings;
}

/** One probe that did not go as declared: what was tried, as whom, and where the fix lies. */
function probeFinding(table: string, p: ProbeResult): Finding {
  const leak = p.actual === "allowed";
  const outcome = p.actual === "error" ? "raised an error" : `was ${p.actual}`;
  const base = { id: "rls-smoke", subject: table, details: [p.detail] };
  if (p.kind === "privilege")
    return {
      ...base,
      severity: leak ? "critical" : "high",
      message: `${table}: ${p.command} as ${p.role ?? ACTOR[p.actor]} ${outcome}, must be refused (RLS does not govern it)`,
      fix: `declare the table's privileges without ${p.command} (the default) and pulumi up, or: revoke ${p.command.toLowerCase()} on ${table} from ${p.role ?? "anon, authenticated"}`,
    };
  if (p.kind === "reference")
    return {
      ...base,
      severity: leak ? "critical" : "high",
      message: `${table}: tenant A wrote a row pointing at tenant B's row through ${p.via ?? "a foreign key"} — it ${outcome}, must be refused`,
      fix: "make the foreign key composite with the tenant column (foreign key (tenant_id, x_id) references parent (tenant_id, id)); npm run rls:lint names each one",
    };
  const whose = p.row === "a" ? "A's" : "B's";
  return {
    ...base,
    severity: leak ? "critical" : "high",
    message: `${table}: ${ACTOR[p.actor]} ${p.command} on ${whose} row ${outcome}, declared ${p.expected}${leak ? " (a leak)" : ""}`,
    fix: leak
      ? `find the policy that lets it through: npm run rls:lint -- --stack <stack> (undeclared or USING (true) policies), then pulumi up`
      : `the declared policies lock this actor out: check the policies of ${table} (npm run rls:lint), then pulumi up`,
  };
}
