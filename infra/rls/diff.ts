/**
 * Pure planning: from what a table should be and what is live, the steps
 * that get there — and, the other way round, a description of drift.
 *
 * Rules (Postgres decides what can change in place):
 * - roles, USING and WITH CHECK change in place (`ALTER POLICY`);
 * - command or PERMISSIVE/RESTRICTIVE cannot: drop and create, in the same
 *   transaction, so no session ever sees the table without the policy;
 *   removing a USING or WITH CHECK clause also needs drop and create;
 * - a new name for an otherwise identical policy is `ALTER POLICY … RENAME`;
 * - a live policy nobody declared is dropped: permissive policies OR
 *   together, so an undeclared one can only widen access;
 * - table privileges of the declared grantees are granted and revoked to
 *   match, last, in the same transaction (privileges.ts).
 */
import { createHash } from "node:crypto";
import type { LivePolicy, LiveTableState } from "./catalog";
import type { PolicySpec } from "./model";
import {
  describePrivilegeDrift,
  planPrivileges,
  privilegeChangeSql,
  type Privilege,
  type PrivilegeMap,
} from "./privileges";
import {
  alterPolicySql,
  createPolicySql,
  dropPolicySql,
  forceRowSecuritySql,
  renamePolicySql,
  rowSecuritySql,
} from "./sql";

/** Expressions as Postgres would print them; unknown until normalized. */
export interface NormalizedExpressions {
  using: string | null;
  withCheck: string | null;
}

/** A declared policy plus, when known, its normalized expressions. */
export interface DesiredPolicy extends PolicySpec {
  normalized?: NormalizedExpressions;
}

export interface DesiredTable {
  schema: string;
  table: string;
  enabled: boolean;
  force: boolean;
  policies: DesiredPolicy[];
  /** Declared grants by grantee; absent: privileges are not managed. */
  privileges?: PrivilegeMap;
}

export type Step =
  | { kind: "drop"; name: string; reason: string }
  | { kind: "rename"; from: string; to: string }
  | { kind: "replace"; from: string; policy: PolicySpec; reason: string }
  | { kind: "alter"; name: string; roles?: string[]; using?: string; withCheck?: string }
  | { kind: "create"; policy: PolicySpec }
  | { kind: "rowSecurity"; enabled: boolean }
  | { kind: "forceRowSecurity"; force: boolean }
  | { kind: "grant" | "revoke"; role: string; privileges: Privilege[] };

function sameRoles(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((r, i) => r === [...b].sort()[i]);
}

/** Does the declared expression (normalized if known) match the live one? undefined = cannot tell. */
function sameExpression(
  declared: string | null,
  normalized: string | null | undefined,
  live: string | null,
): boolean | undefined {
  if (declared === null) return live === null;
  if (live === null) return false;
  if (normalized === undefined) return declared === live ? true : undefined;
  return normalized === live;
}

function matchesForRename(d: DesiredPolicy, l: LivePolicy): boolean {
  if (d.command !== l.command || d.mode !== l.mode) return false;
  return (
    sameExpression(d.using, d.normalized?.using, l.using) === true &&
    sameExpression(d.withCheck, d.normalized?.withCheck, l.withCheck) === true
  );
}

/** The steps from `live` to `desired`, in the order they must run. Empty when nothing differs. */
export function planTable(desired: DesiredTable, live: LiveTableState): Step[] {
  const liveByName = new Map(live.policies.map((p) => [p.name, p]));
  const desiredNames = new Set(desired.policies.map((p) => p.name));
  const unclaimed = new Map([...liveByName].filter(([name]) => !desiredNames.has(name)));

  const renames: Step[] = [];
  const replaces: Step[] = [];
  const alters: Step[] = [];
  const creates: Step[] = [];
  for (const d of desired.policies) {
    let current = liveByName.get(d.name);
    let currentName = d.name;
    if (!current) {
      const explicit = d.renamedFrom ? unclaimed.get(d.renamedFrom) : undefined;
      const source = explicit ?? [...unclaimed.values()].find((l) => matchesForRename(d, l));
      if (source && source.command === d.command && source.mode === d.mode) {
        unclaimed.delete(source.name);
        renames.push({ kind: "rename", from: source.name, to: d.name });
        current = source;
        currentName = d.name;
      }
    }
    if (!current) {
      creates.push({ kind: "create", policy: stripNormalized(d) });
      continue;
    }
    if (current.command !== d.command || current.mode !== d.mode) {
      const what =
        current.command !== d.command
          ? `command ${current.command} → ${d.command}`
          : `${current.mode} → ${d.mode}`;
      replaces.push({
        kind: "replace",
        from: currentName,
        policy: stripNormalized(d),
        reason: `${what} cannot change in place`,
      });
      continue;
    }
    if (
      (current.using !== null && d.using === null) ||
      (current.withCheck !== null && d.withCheck === null)
    ) {
      const clause = current.using !== null && d.using === null ? "USING" : "WITH CHECK";
      replaces.push({
        kind: "replace",
        from: currentName,
        policy: stripNormalized(d),
        reason: `removing the ${clause} clause needs drop and create`,
      });
      continue;
    }
    const alter: Extract<Step, { kind: "alter" }> = { kind: "alter", name: d.name };
    if (!sameRoles(current.roles, d.roles)) alter.roles = d.roles;
    if (d.using !== null && sameExpression(d.using, d.normalized?.using, current.using) !== true)
      alter.using = d.using;
    if (
      d.withCheck !== null &&
      sameExpression(d.withCheck, d.normalized?.withCheck, current.withCheck) !== true
    )
      alter.withCheck = d.withCheck;
    if (alter.roles || alter.using !== undefined || alter.withCheck !== undefined)
      alters.push(alter);
  }
  const drops: Step[] = [...unclaimed.values()].map((l) => ({
    kind: "drop",
    name: l.name,
    reason: "not declared",
  }));
  const flags: Step[] = [];
  if (!live.enabled && desired.enabled) flags.push({ kind: "rowSecurity", enabled: true });
  if (live.enabled && !desired.enabled) flags.push({ kind: "rowSecurity", enabled: false });
  if (live.force !== desired.force) flags.push({ kind: "forceRowSecurity", force: desired.force });
  const grants: Step[] = desired.privileges
    ? planPrivileges(desired.privileges, live.privileges ?? {})
    : [];
  return [...drops, ...renames, ...replaces, ...alters, ...creates, ...flags, ...grants];
}

function stripNormalized(d: DesiredPolicy): PolicySpec {
  const { normalized: _normalized, renamedFrom: _renamedFrom, ...spec } = d;
  return spec;
}

/** One statement and the step it belongs to, so an error can say which change failed. */
export interface Statement {
  sql: string;
  purpose: string;
}

/** Statements for the steps, in order. A replace is a drop and a create. */
export function stepsToStatements(
  t: { schema: string; table: string },
  steps: readonly Step[],
): Statement[] {
  const out: Statement[] = [];
  for (const step of steps) {
    const purpose = describeStep(step);
    const add = (sql: string) => out.push({ sql, purpose });
    switch (step.kind) {
      case "drop":
        add(dropPolicySql(t, step.name));
        break;
      case "rename":
        add(renamePolicySql(t, step.from, step.to));
        break;
      case "replace":
        add(dropPolicySql(t, step.from));
        add(createPolicySql(t, step.policy));
        break;
      case "alter":
        add(alterPolicySql(t, step.name, step));
        break;
      case "create":
        add(createPolicySql(t, step.policy));
        break;
      case "rowSecurity":
        add(rowSecuritySql(t, step.enabled));
        break;
      case "forceRowSecurity":
        add(forceRowSecuritySql(t, step.force));
        break;
      case "grant":
      case "revoke":
        add(privilegeChangeSql(t, step));
        break;
    }
  }
  return out;
}

/** SQL for the steps, in order. */
export function stepsToSql(t: { schema: string; table: string }, steps: readonly Step[]): string[] {
  return stepsToStatements(t, steps).map((s) => s.sql);
}

/** One line per step, for logs and the provider's error messages. */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case "drop":
      return `drop policy ${step.name} (${step.reason})`;
    case "rename":
      return `rename policy ${step.from} → ${step.to}`;
    case "replace":
      return `replace policy ${step.policy.name} (${step.reason})`;
    case "alter":
      return `alter policy ${step.name} (${[step.roles ? "roles" : "", step.using !== undefined ? "USING" : "", step.withCheck !== undefined ? "WITH CHECK" : ""].filter(Boolean).join(", ")})`;
    case "create":
      return `create policy ${step.policy.name}`;
    case "rowSecurity":
      return `${step.enabled ? "enable" : "disable"} row level security`;
    case "forceRowSecurity":
      return `${step.force ? "force" : "no force"} row level security`;
    case "grant":
      return `grant ${step.privileges.join(", ")} to ${step.role}`;
    case "revoke":
      return `revoke ${step.privileges.join(", ")} from ${step.role}`;
  }
}

/**
 * Differences between what the last apply left (`expected`) and what is live
 * now, one sentence each. Empty when nobody changed the table by hand.
 * Privileges are compared for the `grantees` the declaration manages, and only
 * when `expected` recorded them (state from before privileges were managed did not).
 */
export function describeDrift(
  expected: LiveTableState,
  live: LiveTableState,
  grantees: readonly string[] = [],
): string[] {
  const out: string[] = [];
  if (!live.exists) return expected.exists ? ["the table no longer exists"] : [];
  if (expected.enabled && !live.enabled) out.push("row level security was DISABLED out of band");
  if (!expected.enabled && live.enabled) out.push("row level security was enabled out of band");
  if (expected.force && !live.force)
    out.push("FORCE row level security was removed out of band (the owner now bypasses policies)");
  if (!expected.force && live.force) out.push("FORCE row level security was set out of band");
  const liveByName = new Map(live.policies.map((p) => [p.name, p]));
  const expectedNames = new Set(expected.policies.map((p) => p.name));
  for (const e of expected.policies) {
    const l = liveByName.get(e.name);
    if (!l) {
      out.push(`policy ${e.name} was dropped out of band`);
      continue;
    }
    if (l.command !== e.command)
      out.push(`policy ${e.name}: command changed ${e.command} → ${l.command}`);
    if (l.mode !== e.mode) out.push(`policy ${e.name}: changed ${e.mode} → ${l.mode}`);
    if (!sameRoles(l.roles, e.roles))
      out.push(`policy ${e.name}: roles changed [${e.roles.join(", ")}] → [${l.roles.join(", ")}]`);
    if (l.using !== e.using)
      out.push(
        `policy ${e.name}: USING changed: expected ${e.using ?? "none"}, live ${l.using ?? "none"}`,
      );
    if (l.withCheck !== e.withCheck)
      out.push(
        `policy ${e.name}: WITH CHECK changed: expected ${e.withCheck ?? "none"}, live ${l.withCheck ?? "none"}`,
      );
  }
  for (const l of live.policies) {
    if (!expectedNames.has(l.name))
      out.push(
        `policy ${l.name} was added out of band (${l.mode} ${l.command} to ${l.roles.join(", ")})`,
      );
  }
  if (expected.privileges)
    out.push(...describePrivilegeDrift(expected.privileges, live.privileges ?? {}, grantees));
  return out;
}

/**
 * A short fingerprint of a policy's declared USING and WITH CHECK text: what
 * state keeps of the text an apply normalized (stored.ts). 96 bits of
 * SHA-256, compared only among one table's few policies.
 */
export function textFingerprint(p: Pick<PolicySpec, "using" | "withCheck">): string {
  return createHash("sha256")
    .update(JSON.stringify([p.using ?? null, p.withCheck ?? null]))
    .digest("base64url")
    .slice(0, 16);
}

/** The declared part of a policy, comparable between an old and a new declaration. */
export function policyShape(p: {
  name: string;
  command: string | null;
  mode: string | null;
  roles: readonly string[] | null;
  text: string;
}): string {
  return JSON.stringify([p.name, p.command, p.mode, p.roles ? [...p.roles].sort() : null, p.text]);
}

function declaredShape(p: PolicySpec): string {
  return policyShape({ ...p, text: textFingerprint(p) });
}

/** A declaration as the provider gets it. */
export interface Declared {
  enabled: boolean;
  force: boolean;
  policies: PolicySpec[];
  privileges?: PrivilegeMap;
}

/** The previous declaration as state keeps it: its policies as `policyShape`s. */
export interface PreviousDeclaration {
  enabled: boolean;
  force: boolean;
  policyShapes: string[];
  privileges?: PrivilegeMap;
}

/** The shapes of a declaration's policies, as `PreviousDeclaration` holds them. */
export function policyShapes(policies: PolicySpec[]): string[] {
  return policies.map(declaredShape);
}

/**
 * Do two declared tables differ in anything that needs an apply? Privileges
 * count only when both sides declare them: state from before they were
 * managed has none, and there the live comparison decides.
 */
export function declaredChanges(olds: PreviousDeclaration, news: Declared): string[] {
  const out: string[] = [];
  if (olds.enabled !== news.enabled) out.push("enabled");
  if (olds.force !== news.force) out.push("force");
  const a = [...olds.policyShapes].sort();
  const b = policyShapes(news.policies).sort();
  if (a.length !== b.length || a.some((v, i) => v !== b[i])) out.push("policies");
  if (
    olds.privileges &&
    news.privileges &&
    JSON.stringify(olds.privileges) !== JSON.stringify(news.privileges)
  )
    out.push("privileges");
  return out;
}
