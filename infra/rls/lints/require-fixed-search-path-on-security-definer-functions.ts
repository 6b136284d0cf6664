import type { LintRule } from "./rule";

/**
 * A SECURITY DEFINER function runs as its owner but resolves names through
 * the caller's search_path: a caller who can create a same-named function or
 * table earlier on the path runs their code with the owner's rights.
 */
export const requireFixedSearchPathOnSecurityDefinerFunctions: LintRule = {
  id: "require-fixed-search-path-on-security-definer-functions",
  severity: "high",
  description: "Every SECURITY DEFINER function sets its own search_path.",
  check: ({ catalog }) =>
    catalog.functions
      .filter((f) => f.securityDefiner && !f.extension && f.searchPath === null)
      .map((f) => {
        const key = `${f.schema}.${f.name}(${f.signature})`;
        return {
          subject: key,
          message: `SECURITY DEFINER function ${key} runs as ${f.owner} with the caller's search_path: a caller who controls an earlier schema on the path runs code as ${f.owner}`,
          fix: `ALTER FUNCTION ${key} SET search_path = '' (and qualify every name in its body), or SET search_path = pg_catalog, ${f.schema}`,
        };
      }),
};
