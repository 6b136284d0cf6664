/**
 * The policy test harness, in the spirit of pulumi/compliance-policies'
 * `assertHasResourceViolation` / `assertNoResourceViolations`: a compliant
 * baseline (a stack's real resource graph, recorded under mocks), then one
 * change per test. Policies run through the same evaluator `policy:review`
 * uses, with their config schema's defaults.
 */
import { expect } from "vitest";
import {
  evaluatePolicies,
  type ReviewResource,
  type Violation,
} from "../../policies/review/evaluate";
import type { RunbooksPolicy } from "../../policies/lib/policy";

export async function violationsOf(
  policy: RunbooksPolicy,
  resources: readonly ReviewResource[],
  config?: Record<string, unknown>,
): Promise<Violation[]> {
  return evaluatePolicies(resources, {
    policies: [policy],
    config: config ? { [policy.name]: config } : undefined,
  });
}

export async function assertNoViolations(
  policy: RunbooksPolicy,
  resources: readonly ReviewResource[],
  config?: Record<string, unknown>,
): Promise<void> {
  const found = await violationsOf(policy, resources, config);
  expect(found.map((v) => v.message)).toEqual([]);
}

/** At least one violation of `policy` whose message matches, at the policy's own level. */
export async function assertHasViolation(
  policy: RunbooksPolicy,
  resources: readonly ReviewResource[],
  message: string | RegExp,
  config?: Record<string, unknown>,
): Promise<Violation> {
  const found = await violationsOf(policy, resources, config);
  const match = found.find((v) =>
    typeof message === "string" ? v.message.includes(message) : message.test(v.message),
  );
  expect(
    match,
    `no violation matching ${String(message)} among ${JSON.stringify(found.map((v) => v.message))}`,
  ).toBeDefined();
  expect(match!.enforcementLevel).toBe(policy.enforcementLevel);
  return match!;
}

const clone = <T>(value: T): T => structuredClone(value);

/** The baseline with exactly one resource changed (fails unless exactly one matches). */
export function withChange(
  resources: readonly ReviewResource[],
  match: (r: ReviewResource) => boolean,
  change: (r: ReviewResource) => void,
): ReviewResource[] {
  const copy = clone([...resources]);
  const targets = copy.filter(match);
  expect(targets, "the change must target exactly one resource").toHaveLength(1);
  change(targets[0]!);
  return copy;
}

/** The baseline without the resources that match (fails when none does). */
export function without(
  resources: readonly ReviewResource[],
  match: (r: ReviewResource) => boolean,
): ReviewResource[] {
  expect(resources.some(match), "nothing to remove").toBe(true);
  return clone(resources.filter((r) => !match(r)));
}

/** A resource by type and logical name. */
export const named = (type: string, name: string) => (r: ReviewResource) =>
  r.type === type && r.name === name;

/** A resource built by hand (for types the shipped stacks do not register yet). */
export function resource(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  stack = "production",
): ReviewResource {
  return {
    type,
    name,
    urn: `urn:pulumi:${stack}::runbooks::${type}::${name}`,
    inputs,
    outputs: { ...inputs },
  };
}
