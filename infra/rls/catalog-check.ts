/**
 * Preview honesty: what `up` would reject, found while checking. A declared
 * table, a column a policy names or a role that the database does not have
 * would preview as a plain create or update and then fail half-way through
 * `up`; here it is a check failure, under the property that names it, in
 * preview already. Pure over one catalog snapshot (read once per command).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { CatalogSnapshot } from "./catalog";
import { analyzeExpression } from "./expressions";
import type { RlsTableInputs } from "./inputs";
import { tableKey } from "./model";

type Failure = pulumi.dynamic.CheckFailure;

/** The message `up` used to fail with; preview now says it first. */
export function missingTableMessage(t: { schema: string; table: string }): string {
  return (
    `table ${tableKey(t)} does not exist. Tables are created by the app's migrations, not by this provider: ` +
    `run the migration first, or remove the table from runbooks:rls.tables / the TypeScript declarations.`
  );
}

function missingRole(role: string): string {
  return `role '${role}' does not exist in the database; create it (roles belong to the whole cluster) or remove it here`;
}

export async function catalogFailures(
  inputs: Pick<RlsTableInputs, "schema" | "table" | "policies" | "privileges">,
  snapshot: CatalogSnapshot,
): Promise<Failure[]> {
  const key = tableKey(inputs);
  if (!snapshot.tables.has(key))
    return [{ property: "table", reason: missingTableMessage(inputs) }];
  const failures: Failure[] = [];
  const columns = new Set(snapshot.columns.get(key) ?? []);
  for (const [i, p] of inputs.policies.entries()) {
    p.roles.forEach((role, j) => {
      if (role !== "public" && !snapshot.roles.has(role))
        failures.push({ property: `policies[${i}].roles[${j}]`, reason: missingRole(role) });
    });
    for (const clause of ["using", "withCheck"] as const) {
      const expression = p[clause];
      if (expression === null) continue;
      const unknown = (await analyzeExpression(expression)).facts.columns.filter(
        (c) => !columns.has(c),
      );
      if (unknown.length === 0) continue;
      failures.push({
        property: `policies[${i}].${clause}`,
        reason:
          `policy '${p.name}' ${clause === "using" ? "USING" : "WITH CHECK"} names ` +
          `${unknown.map((c) => `column ${c}`).join(", ")}, which ${key} does not have ` +
          `(it has: ${[...columns].join(", ") || "no columns"}); fix the expression or run the migration that adds it`,
      });
    }
  }
  for (const [role, privileges] of Object.entries(inputs.privileges ?? {})) {
    if (role !== "public" && privileges.length > 0 && !snapshot.roles.has(role))
      failures.push({
        property: `privileges.${role}`,
        reason: `${missingRole(role)}, or declare privileges: { ${role}: [] } for this table`,
      });
  }
  return failures;
}
