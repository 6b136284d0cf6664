/**
 * Which tables of the exposed schemas have row-level security, before and
 * after a migration, and what changed: a new table without RLS is readable
 * through the Data API by every role granted on the schema, which is how
 * apps ship with their data open.
 */
import type { Finding } from "../lib/findings";
import type { Queryable } from "../postgres/client";

export interface TableCoverage {
  table: string;
  rls: boolean;
  forced: boolean;
  policies: number;
}

export type RlsCoverage = TableCoverage[];

export async function readRlsCoverage(
  client: Queryable,
  schemas: readonly string[],
): Promise<RlsCoverage> {
  const result = await client.query(
    `select n.nspname || '.' || c.relname as table,
            c.relrowsecurity as rls,
            c.relforcerowsecurity as forced,
            (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname = any ($1::text[])
      order by 1`,
    [schemas],
  );
  return result.rows as RlsCoverage;
}

/** What a migration changed in RLS coverage, as findings. Pure. */
export function coverageChanges(before: RlsCoverage, after: RlsCoverage): Finding[] {
  const was = new Map(before.map((t) => [t.table, t]));
  const findings: Finding[] = [];
  const fixRls = (t: string) =>
    `alter table ${t} enable row level security; then declare its policies (runbooks:rls.tables) and run pulumi up; npm run rls:lint shows the rest`;
  for (const t of after) {
    const old = was.get(t.table);
    if (!old && !t.rls)
      findings.push({
        id: "enable-rls-on-new-table",
        severity: "high",
        subject: t.table,
        message: `the migration created ${t.table} without row-level security: the API roles can read every row`,
        fix: fixRls(t.table),
      });
    else if (!old && t.policies === 0)
      findings.push({
        id: "declare-policies-for-new-table",
        severity: "medium",
        subject: t.table,
        message: `the migration created ${t.table} with RLS on but no policy: the app's role sees no rows`,
        fix: `declare its policies (runbooks:rls.tables), then pulumi up`,
      });
    else if (old?.rls && !t.rls)
      findings.push({
        id: "keep-rls-enabled",
        severity: "critical",
        subject: t.table,
        message: `the migration turned row-level security off on ${t.table}`,
        fix: fixRls(t.table),
      });
    else if (old?.forced && !t.forced)
      findings.push({
        id: "keep-rls-forced",
        severity: "high",
        subject: t.table,
        message: `the migration removed FORCE ROW LEVEL SECURITY from ${t.table}: its owner bypasses the policies again`,
        fix: `alter table ${t.table} force row level security`,
      });
    else if (old && old.policies > 0 && t.policies === 0 && t.rls)
      findings.push({
        id: "declare-policies-for-new-table",
        severity: "medium",
        subject: t.table,
        message: `the migration dropped every policy of ${t.table}: the app's role sees no rows`,
        fix: "restore the policies: pulumi up re-applies the declared ones",
      });
  }
  const added = after.filter((t) => !was.has(t.table));
  const gone = before.filter((t) => !after.some((a) => a.table === t.table));
  if (findings.length === 0)
    findings.push({
      id: "rls-coverage",
      severity: "info",
      subject: "row-level security",
      message: `no RLS regression from the migration (${after.filter((t) => t.rls).length} of ${after.length} exposed tables have RLS)${added.length ? `; new tables, all with RLS: ${added.map((t) => t.table).join(", ")}` : ""}${gone.length ? `; dropped: ${gone.map((t) => t.table).join(", ")}` : ""}`,
      fix: "",
    });
  return findings;
}
