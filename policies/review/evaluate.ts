/**
 * Runs the pack's policy objects over recorded resources, without the policy
 * server: the same `validateResource` / `validateStack` functions the
 * analyzer calls, given the same argument shapes (type, props, URN, name,
 * options, config with the schema's defaults, props behind the server's own
 * proxy). `policy:review` and the unit harness use it; the engine e2e test
 * covers what only the real analyzer does (serialization, unknowns during
 * preview).
 */
import {
  unknownCheckingProxy,
  type EnforcementLevel,
  type PolicyResource,
  type PolicyResourceOptions,
  type ResourceValidationArgs,
  type Severity,
  type StackValidationArgs,
} from "@pulumi/policy";
import { isStackPolicy, isUnknownValueError, type RunbooksPolicy } from "../lib/policy";
import { POLICIES } from "../policies";

/** One registered resource: its inputs (what resource policies see) and outputs (what stack policies see). */
export interface ReviewResource {
  type: string;
  name: string;
  urn: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

export interface Violation {
  policyName: string;
  enforcementLevel: EnforcementLevel;
  severity: Severity;
  description: string;
  remediationSteps: string;
  message: string;
  /** The resource at fault, when the policy named one. */
  resource?: { type: string; name: string; urn: string };
}

/** Per-policy settings, as a `--policy-pack-config` file holds them. */
export type PackConfig = Record<
  string,
  EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
>;

class NotApplicable extends Error {}

const DEFAULT_OPTS: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

/** The policy's config: its schema's defaults, then the team's values. */
export function policyConfig(
  policy: RunbooksPolicy,
  pack: PackConfig = {},
): Record<string, unknown> {
  const defaults = Object.fromEntries(
    Object.entries(policy.configSchema?.properties ?? {})
      .filter(([, schema]) => "default" in schema)
      .map(([key, schema]) => [key, (schema as { default: unknown }).default]),
  );
  const own = pack[policy.name];
  const values = typeof own === "object" ? own : {};
  const { enforcementLevel: _level, ...rest } = values;
  return { ...defaults, ...rest };
}

function levelOf(policy: RunbooksPolicy, pack: PackConfig): EnforcementLevel {
  const own = pack[policy.name];
  if (typeof own === "string") return own;
  return own?.enforcementLevel ?? policy.enforcementLevel;
}

const RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/** Every violation, most severe first (mandatory before advisory within a severity). */
export async function evaluatePolicies(
  resources: readonly ReviewResource[],
  options: { policies?: readonly RunbooksPolicy[]; config?: PackConfig } = {},
): Promise<Violation[]> {
  const policies = options.policies ?? POLICIES;
  const pack = options.config ?? {};
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const violations: Violation[] = [];
  for (const policy of policies) {
    const enforcementLevel = levelOf(policy, pack);
    if (enforcementLevel === "disabled") continue;
    const level = enforcementLevel === "remediate" ? "mandatory" : enforcementLevel;
    const config = policyConfig(policy, pack);
    const violation = (message: string, urn?: string): void => {
      const r = urn ? byUrn.get(urn) : undefined;
      violations.push({
        policyName: policy.name,
        enforcementLevel: level,
        severity: policy.severity,
        description: policy.description,
        remediationSteps: policy.remediationSteps,
        message,
        resource: r ? { type: r.type, name: r.name, urn: r.urn } : undefined,
      });
    };
    // As the policy server does: a value not known yet is an advisory "can't run", not a pass.
    const cannotRun = (err: unknown, urn?: string) => {
      const r = urn ? byUrn.get(urn) : undefined;
      violations.push({
        policyName: policy.name,
        enforcementLevel: "advisory",
        severity: policy.severity,
        description: policy.description,
        remediationSteps: policy.remediationSteps,
        message: `can't run policy ${policy.name} during preview: ${(err as Error).message}`,
        resource: r ? { type: r.type, name: r.name, urn: r.urn } : undefined,
      });
    };
    const notApplicable = (reason?: string): never => {
      throw new NotApplicable(reason);
    };
    try {
      if (isStackPolicy(policy)) {
        const stackResources: PolicyResource[] = resources.map((r) => ({
          type: r.type,
          // Wrapped like the policy server wraps them, so a policy that only works on
          // plain objects fails here too, not only under the real analyzer.
          props: unknownCheckingProxy(r.outputs),
          urn: r.urn,
          name: r.name,
          opts: DEFAULT_OPTS,
          dependencies: [],
          propertyDependencies: {},
          isType: () => false,
          asType: () => undefined,
        }));
        const args: StackValidationArgs = {
          resources: stackResources,
          stackTags: new Map(),
          getConfig: <T extends object>() => config as T,
          notApplicable,
        };
        await policy.validateStack(args, violation);
        continue;
      }
      const validations = [policy.validateResource ?? []].flat();
      for (const r of resources) {
        const args: ResourceValidationArgs = {
          type: r.type,
          props: unknownCheckingProxy(r.inputs),
          urn: r.urn,
          name: r.name,
          opts: DEFAULT_OPTS,
          stackTags: new Map(),
          isType: () => false,
          asType: () => undefined,
          getConfig: <T extends object>() => config as T,
          notApplicable,
        };
        for (const validate of validations) {
          try {
            await validate(args, (message) => violation(message, r.urn));
          } catch (err) {
            if (isUnknownValueError(err)) cannotRun(err, r.urn);
            else if (!(err instanceof NotApplicable)) throw err;
          }
        }
      }
    } catch (err) {
      if (err instanceof NotApplicable) continue;
      if (isUnknownValueError(err)) {
        cannotRun(err);
        continue;
      }
      throw new Error(`policy ${policy.name} failed: ${(err as Error).message}`, { cause: err });
    }
  }
  return violations.sort(
    (a, b) =>
      RANK[a.severity] - RANK[b.severity] ||
      (a.enforcementLevel === b.enforcementLevel ? 0 : a.enforcementLevel === "mandatory" ? -1 : 1),
  );
}
