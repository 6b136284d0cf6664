import type { LintRule } from "./rule";

/**
 * A SECURITY DEFINER function the API roles can execute runs as its owner and
 * bypasses RLS: through `/rest/v1/rpc` when its schema is exposed, and from
 * any policy, view or function that calls it when it is not.
 */
export const disallowExposedSecurityDefinerFunctions: LintRule = {
  id: "disallow-exposed-security-definer-functions",
  severity: "medium",
  description: "No SECURITY DEFINER function of the app's schemas is executable by the API roles.",
  check: ({ catalog }) =>
    catalog.functions
      .filter((f) => f.securityDefiner && !f.extension && f.executableBy.length > 0)
      .map((f) => {
        const key = `${f.schema}.${f.name}(${f.signature})`;
        return {
          subject: key,
          message: `SECURITY DEFINER function ${key} runs as ${f.owner} and can be called by ${f.executableBy.join(", ")}; it bypasses RLS`,
          fix: `move it to a schema the API does not expose, ALTER FUNCTION ${key} SECURITY INVOKER, or REVOKE EXECUTE ON FUNCTION ${key} FROM ${f.executableBy.join(", ")}, PUBLIC`,
        };
      }),
};
