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
 * mode and roles of a committed policy are what was declared: an apply makes
 * them so.
 *
 * For the same reason a committed policy is a tuple, not an object: the six
 * key names of an object were a fifth of the committed table's bytes.
 *
 * Earlier state holds the declared policies themselves (`policies`) and the
 * committed table as objects, with every grantee's privileges (`expected`);
 * both read the same here, and the next apply writes today's form.
 */
import { MISSING_TABLE, type LiveTableState } from "./catalog";
import { policyShape, policyShapes, textFingerprint, type PreviousDeclaration } from "./diff";
import type { RlsTableInputs } from "./inputs";
import type { PolicySpec, RlsCommand, RlsMode } from "./model";
import type { PrivilegeMap } from "./privileges";

/** What the previous apply declared and left, so unchanged expressions need no re-normalization. */
export interface PreviousApply {
  /** The table as that apply committed it. */
  expected: LiveTableState;
  /** Policy name → `textFingerprint` of the USING and WITH CHECK it was declared with. */
  declaredText: Readonly<Record<string, string>>;
}

/**
 * A committed policy: [name, command, mode, roles (sorted), USING, WITH CHECK,
 * `textFingerprint` of the declared text]. Expressions as Postgres prints them.
 */
export type StoredPolicy = [
  name: string,
  command: RlsCommand,
  mode: RlsMode,
  roles: string[],
  using: string | null,
  withCheck: string | null,
  declaredText: string,
];

/** The table as an apply committed it (it exists: an apply of a missing table fails). */
export interface AppliedTable {
  enabled: boolean;
  force: boolean;
  /** Sorted by name. */
  policies: StoredPolicy[];
  /** Direct grants, only of the grantees the declaration manages. */
  privileges?: PrivilegeMap;
}

export interface RlsTableOutputs
  extends Omit<RlsTableInputs, "policies">, Partial<Pick<RlsTableInputs, "policies">> {
  /** What the last apply committed. Absent in earlier state, which holds `expected`. */
  applied?: AppliedTable;
  /** Earlier state: the table as the last apply committed it. */
  expected?: LiveTableState;
  /**
   * The table as the last refresh saw it, present only when that differed
   * from what the last apply committed (absent: live matched). Earlier state
   * holds it always; both read the same.
   */
  live?: LiveTableState;
  /** Differences between the committed table and `live`, one sentence each; empty when in sync. */
  drift: string[];
}

/**
 * `state` with privileges only of the grantees `declared` manages (all of
 * them when it manages none: state from before privileges were managed).
 */
export function managedOnly(state: LiveTableState, declared: { privileges?: PrivilegeMap }) {
  if (!state.privileges || !declared.privileges) return state;
  const grantees = Object.keys(declared.privileges);
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
  const { privileges } = managedOnly(live, inputs);
  const declaredText = declaredTextOf(policies);
  const applied: AppliedTable = {
    enabled: live.enabled,
    force: live.force,
    policies: live.policies.map((p) => [
      p.name,
      p.command,
      p.mode,
      p.roles,
      p.using,
      p.withCheck,
      declaredText[p.name] ?? "",
    ]),
  };
  if (privileges) applied.privileges = privileges;
  return { ...kept, applied, drift: [] };
}

/** The table as the last apply committed it, from state of either form. */
export function committedState(olds: RlsTableOutputs): LiveTableState {
  const applied = olds.applied;
  if (!applied) return olds.expected ?? MISSING_TABLE;
  const state: LiveTableState = {
    exists: true,
    enabled: applied.enabled,
    force: applied.force,
    policies: applied.policies.map(([name, command, mode, roles, using, withCheck]) => ({
      name,
      command,
      mode,
      roles,
      using,
      withCheck,
    })),
  };
  if (applied.privileges) state.privileges = applied.privileges;
  return state;
}

/** What the last apply declared and left, from state of either form. */
export function previousApply(olds: RlsTableOutputs): PreviousApply {
  return {
    expected: committedState(olds),
    declaredText: olds.applied
      ? Object.fromEntries(olds.applied.policies.map((p) => [p[0], p[6]]))
      : declaredTextOf(olds.policies ?? []),
  };
}

/** The declaration the last apply applied, comparable with a new one (`declaredChanges`). */
export function previousDeclaration(olds: RlsTableOutputs): PreviousDeclaration {
  const base = { enabled: olds.enabled, force: olds.force, privileges: olds.privileges };
  if (!olds.applied) return { ...base, policyShapes: policyShapes(olds.policies ?? []) };
  return {
    ...base,
    policyShapes: olds.applied.policies.map(([name, command, mode, roles, , , text]) =>
      policyShape({ name, command, mode, roles, text }),
    ),
  };
}

/** Names of the policies the resource manages by its state: what delete drops. */
export function managedPolicyNames(props: RlsTableOutputs): string[] {
  return [
    ...new Set([
      ...(props.policies ?? []).map((p) => p.name),
      ...committedState(props).policies.map((p) => p.name),
    ]),
  ];
}
