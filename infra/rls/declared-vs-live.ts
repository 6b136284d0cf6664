/**
 * The declaration against the live table, as `up` would see it: used by
 * `rls:drift` and the lint that requires live RLS to match the declaration.
 * Expressions compare as Postgres normalizes them (normalize.ts); when that is
 * not possible the comparison says so rather than guessing.
 */
import type { LivePolicy, LiveTableState } from "./catalog";
import { describeDrift, describeStep, planTable, type Step } from "./diff";
import { tableKey, type TableSpec } from "./model";
import type { Normalization } from "./normalize";

export interface Comparison {
  table: string;
  /** The table is missing: the declaration protects nothing. */
  missing: boolean;
  /** One sentence per difference between the declaration and the live table. */
  differences: string[];
  /** What `up` would do, one line per step. */
  plan: string[];
  steps: Step[];
  /** Set when expressions could not be normalized (and were not compared). */
  expressionsNotCompared?: string;
}

/** The declaration as a live table would look if `up` had just applied it. */
function declaredAsLive(spec: TableSpec, policies: LivePolicy[]): LiveTableState {
  return {
    exists: true,
    enabled: spec.enabled,
    force: spec.force,
    policies,
    privileges: spec.privileges,
  };
}

export function compareWithDeclaration(
  spec: TableSpec,
  live: LiveTableState | undefined,
  normalization: Normalization | undefined,
): Comparison {
  const table = tableKey(spec);
  if (!live?.exists)
    return { table, missing: true, differences: ["the table does not exist"], plan: [], steps: [] };
  const normalized = normalization && "ok" in normalization ? normalization.ok : undefined;
  // Same-session texts when we have them; otherwise the catalog's, expressions assumed equal.
  const livePolicies = normalized?.live ?? live.policies;
  const liveByName = new Map(livePolicies.map((p) => [p.name, p]));
  const declaredByName = new Map((normalized?.declared ?? []).map((p) => [p.name, p]));
  const declared: LivePolicy[] = spec.policies.map((p) => {
    const n = declaredByName.get(p.name);
    const l = liveByName.get(p.name);
    return {
      name: p.name,
      command: p.command,
      mode: p.mode,
      roles: [...p.roles].sort(),
      using: n ? n.using : (l?.using ?? p.using),
      withCheck: n ? n.withCheck : (l?.withCheck ?? p.withCheck),
    };
  });
  const current: LiveTableState = { ...live, policies: livePolicies };
  const steps = planTable(
    {
      ...spec,
      policies: spec.policies.map((p, i) => ({
        ...p,
        normalized: { using: declared[i]!.using, withCheck: declared[i]!.withCheck },
      })),
    },
    current,
  );
  const comparison: Comparison = {
    table,
    missing: false,
    differences: describeDrift(
      declaredAsLive(spec, declared),
      current,
      Object.keys(spec.privileges),
    ).map((d) => d.replace(/ out of band/g, "")),
    plan: steps.map(describeStep),
    steps,
  };
  if (!normalization)
    comparison.expressionsNotCompared =
      "the declared expressions were not normalized (readLintCatalog was not given the declared tables)";
  else if ("problem" in normalization) comparison.expressionsNotCompared = normalization.problem;
  return comparison;
}
