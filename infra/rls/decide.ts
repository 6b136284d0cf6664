/**
 * The provider's diff as a pure decision: from the state the last apply left,
 * the new declaration and (when the connection is known) the live table, does
 * the table need an update, and why. The reasons are what preview and up print.
 *
 * The live table decides: a policy added or edited by hand, a revoked grant,
 * or a commit whose checkpoint a killed `up` never wrote are all differences
 * between the declaration and what is live, whatever state says. Without a
 * live table (the URL is not known yet in preview), what the last refresh saw
 * stands in for it.
 */
import { knownNormalizations } from "./apply";
import type { LiveTableState } from "./catalog";
import { declaredChanges, describeDrift, describeStep, planTable } from "./diff";
import type { RlsTableInputs } from "./inputs";
import { previousApply, previousDeclaration, type RlsTableOutputs } from "./stored";

export interface DiffDecision {
  changes: boolean;
  replaces: string[];
  /** One clause each: what changed in the declaration, what drifted, what up will do. */
  reasons: string[];
}

export function decideDiff(
  olds: RlsTableOutputs,
  news: RlsTableInputs,
  live: LiveTableState | undefined,
): DiffDecision {
  const replaces: string[] = [];
  if (olds.schema !== news.schema) replaces.push("schema");
  if (olds.table !== news.table) replaces.push("table");
  const previous = previousApply(olds);
  const { expected } = previous;
  const grantees = Object.keys(news.privileges ?? {});
  // A new providerVersion alone is not a change: code that would write
  // different SQL shows up in the plan, and an update of every table at each
  // release would only take locks. The new version still reaches state (a
  // no-change step keeps new inputs).
  const declared = declaredChanges(previousDeclaration(olds), news);
  const reasons: string[] = [];
  if (replaces.length > 0) reasons.push(`${replaces.join(" and ")} changed: a new resource`);
  if (declared.length > 0) reasons.push(`declaration changed (${declared.join(", ")})`);
  // A new password must reach state, or a later delete would use the old one.
  const connection = olds.connection !== news.connection;
  if (connection) reasons.push("the connection string changed (recorded; no SQL)");
  let changed = replaces.length > 0 || declared.length > 0 || connection;

  if (live && replaces.length === 0) {
    const drift = describeDrift(expected, live, grantees);
    const steps = planTable(
      { ...news, policies: knownNormalizations(news.policies, previous) },
      live,
    );
    if (drift.length > 0) reasons.push(`live differs from the last apply: ${drift.join("; ")}`);
    if (steps.length > 0) reasons.push(`up will ${steps.map(describeStep).join("; ")}`);
    const stale = steps.length === 0 && drift.length === 0 && (olds.drift ?? []).length > 0;
    if (stale) reasons.push("the drift the last refresh recorded is gone; up records that");
    changed ||= steps.length > 0 || stale;
  } else if (!live) {
    // No live in state: the last refresh found the table as the last apply left it.
    const drift = describeDrift(expected, olds.live ?? expected, grantees);
    if (drift.length > 0) reasons.push(`the last refresh saw: ${drift.join("; ")}`);
    changed ||= drift.length > 0;
  }
  return { changes: changed, replaces, reasons };
}
