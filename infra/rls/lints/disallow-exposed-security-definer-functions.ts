import type { LintRule } from "./rule";

/** A SECURITY DEFINER function callable through the API runs as its owner and bypasses RLS. */
export const disallowExposedSecurityDefinerFunctions: LintRule = {
  id: "disallow-exposed-security-definer-functions",
  severity: "medium",
  description: "No SECURITY DEFINER function in an exposed schema is executable by the API roles.",
  check: ({ catalog }) =>
    catalog.functions
      .filter((f) => !f.extension && f.executableBy.length > 0)
      .map((f) => {
        const key = `${f.schema}.${f.name}(${f.signature})`;
        return {
          subject: key,
          message: `SECURITY DEFINER function ${key} runs as ${f.owner} and can be called by ${f.executableBy.join(", ")} through the API; it bypasses RLS`,
          fix: `move it to a schema the API does not expose, ALTER FUNCTION ${key} SECURITY INVOKER, or REVOKE EXECUTE ON FUNCTION ${key} FROM ${f.executableBy.join(", ")}, PUBLIC`,
        };
      }),
};
