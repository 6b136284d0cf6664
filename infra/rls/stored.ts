/**
 * What an `RlsTable`'s state keeps of its last apply (its outputs), and how
 * state written in the earlier form reads the same.
 *
 * Why the outputs do not repeat the declaration: the inputs already hold it
 * (the engine diffs them and the policy pack reads them), and the file
 * backend rewrites the whole state after every step of an `up`, so every
 * byte of a resource's state is written once per resource per step. A first
 * `up` of 250 tables spends most of its time there (bench/rls/engine.ts).
 * Of the old declaration, diff, update and delete need only which declared
 * text each committed policy was normalized from, so an unchanged expression
 * needs no new normalization; a fingerprint of that text says it. Command,
 * mode and roles of a committed policy are in `expected`: an apply makes them
 * what was declared.
 *
 * Earlier state holds the declared policies themselves (`policies`) and
 * privileges of every grantee in `expected`; both read the same here, and
 * the next apply writes the compact form.
 */
import { MISSING_TABLE, type LiveTableState } from "./catalog";
import { policyShape, policyShapes, textFingerprint, type PreviousDeclaration } from "./diff";
import type { RlsTableInputs } from "./inputs";
import type { PolicySpec } from "./model";

/** What the previous apply declared and left, so unchanged expressions need no re-normalization. */
export interface PreviousApply {
  /** The table as that apply committed it. */
  expected: LiveTableState;
  /** Policy name → `textFingerprint` of the USING and WITH CHECK it was declared with. */
  declaredText: Readonly<Record<string, string>>;
}

export interface RlsTableOutputs
  extends Omit<RlsTableInputs, "policies">, Partial<Pick<RlsTableInputs, "policies">> {
  /**
   * The table as the last apply committed it (expressions normalized by
   * Postgres); privileges only of the grantees the declaration manages.
   */
  expected: LiveTableState;
  /**
   * Policy name → fingerprint of the declared text the last apply normalized
   * into `expected`. Absent in earlier state, which holds `policies` instead.
   */
  declaredText?: Record<string, string>;
  /**
   * The table as the last refresh saw it, present only when that differed
   * from `expected` (absent: live matched). Earlier state holds it always;
   * both read the same.
   */
  live?: LiveTableState;
  /** Differences between `expected` and `live`, one sentence each; empty when in sync. */
  drift: string[];
}

/** `state` with privileges only of `grantees` (all of them when the declaration manages none). */
export function managedOnly(state: LiveTableState, grantees: readonly string[] | undefined) {
  if (!state.privileges || !grantees) return state;
  const kept = Object.entries(state.privileges).filter(([role]) => grantees.includes(role));
  return { ...state, privileges: Object.fromEntries(kept) };
}

/** Policy name → fingerprint of its declared text, as `declaredText` holds it. */
export function declaredTextOf(policies: readonly PolicySpec[]): Record<string, string> {
  return Object.fromEntries(policies.map((p) => [p.name, textFingerprint(p)]));
}

/** The outputs of an apply that committed `live` for `inputs`. */
export function appliedOutputs(inputs: RlsTableInputs, live: LiveTableState): RlsTableOutputs {
  // tenantColumn and tenantClaim are for reviewers and the policy pack, which read inputs.
  const {
    policies,
    tenantColumn: _column,
    tenantClaim: _claim,
    ...kept
  } = inputs as RlsTableInputs & { tenantColumn?: unknown; tenantClaim?: unknown };
  const grantees = inputs.privileges ? Object.keys(inputs.privileges) : undefined;
  return {
    ...kept,
    expected: managedOnly(live, grantees),
    declaredText: declaredTextOf(policies),
    drift: [],
  };
}

/** What the last apply declared and left, from state of either form. */
export function previousApply(olds: RlsTableOutputs): PreviousApply {
  return {
    expected: olds.expected ?? MISSING_TABLE,
    declaredText: olds.declaredText ?? declaredTextOf(olds.policies ?? []),
  };
}

/** The declaration the last apply applied, comparable with a new one (`declaredChanges`). */
export function previousDeclaration(olds: RlsTableOutputs): PreviousDeclaration {
  const base = { enabled: olds.enabled, force: olds.force, privileges: olds.privileges };
  if (!olds.declaredText) return { ...base, policyShapes: policyShapes(olds.policies ?? []) };
  const committed = new Map((olds.expected ?? MISSING_TABLE).policies.map((p) => [p.name, p]));
  return {
    ...base,
    policyShapes: Object.entries(olds.declaredText).map(([name, text]) => {
      const p = committed.get(name);
      return policyShape({
        name,
        command: p?.command ?? null,
        mode: p?.mode ?? null,
        roles: p?.roles ?? null,
        text,
      });
    }),
  };
}

/** Names of the policies the resource manages by its state: what delete drops. */
export function managedPolicyNames(props: RlsTableOutputs): string[] {
  return [
    ...new Set([
      ...Object.keys(props.declaredText ?? {}),
      ...(props.policies ?? []).map((p: PolicySpec) => p.name),
      ...(props.expected ?? MISSING_TABLE).policies.map((p) => p.name),
    ]),
  ];
}
