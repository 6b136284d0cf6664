import type { LintRule } from "./rule";

/** A function that resolves names through the caller's search_path behaves differently per caller. */
export const requireFixedSearchPathOnFunctions: LintRule = {
  id: "require-fixed-search-path-on-functions",
  severity: "low",
  description:
    "Functions of the app's schemas set their own search_path, so names resolve the same for every caller.",
  check: ({ catalog }) =>
    catalog.functions
      .filter((f) => !f.securityDefiner && !f.extension && f.searchPath === null)
      .map((f) => {
        const key = `${f.schema}.${f.name}(${f.signature})`;
        return {
          subject: key,
          message: `function ${key} has no search_path of its own: the names in its body resolve through each caller's search_path`,
          fix: `ALTER FUNCTION ${key} SET search_path = '' (and qualify every name in its body)`,
        };
      }),
};
