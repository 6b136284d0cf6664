/**
 * What every policy of this pack is: CrossGuard's own shapes, with the
 * metadata this pack makes mandatory (an enforcement level, a severity and
 * remediation text on every policy), plus the small helpers the policies
 * share for reading resources the way the real analyzer hands them over.
 *
 * Under `pulumi preview` the analyzer wraps props in a proxy that throws
 * `UnknownValueError` on a value not known yet (an ARN of a resource about to
 * be created). A policy that lets it escape is reported by the policy server
 * as an advisory "can't run during preview"; the helpers here read such
 * values only where a fallback exists (the engine's property dependencies).
 */
import {
  UnknownValueError,
  type EnforcementLevel,
  type PolicyResource,
  type ReportViolation,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  type Severity,
  type StackValidationPolicy,
} from "@pulumi/policy";

interface PackMetadata {
  /** Verb-first kebab-case: `disallow-…`, `enforce-…`, `require-…`. */
  name: string;
  /** One full sentence saying what the policy guarantees. */
  description: string;
  enforcementLevel: EnforcementLevel;
  severity: Severity;
  /** What the author of a violating change does about it. */
  remediationSteps: string;
  tags: string[];
}

export type RunbooksResourcePolicy = ResourceValidationPolicy & PackMetadata;
export type RunbooksStackPolicy = StackValidationPolicy & PackMetadata;
export type RunbooksPolicy = RunbooksResourcePolicy | RunbooksStackPolicy;

export function isStackPolicy(p: RunbooksPolicy): p is RunbooksStackPolicy {
  return "validateStack" in p && p.validateStack !== undefined;
}

/** A resource validation that runs on these type tokens only. */
export function onTypes(
  types: readonly string[],
  check: (args: ResourceValidationArgs, report: ReportViolation) => void | Promise<void>,
): (args: ResourceValidationArgs, report: ReportViolation) => void | Promise<void> {
  return (args, report) => (types.includes(args.type) ? check(args, report) : undefined);
}

/** A resource validation for every type starting with `prefix`. */
export function onTypePrefix(
  prefix: string,
  check: (args: ResourceValidationArgs, report: ReportViolation) => void | Promise<void>,
): (args: ResourceValidationArgs, report: ReportViolation) => void | Promise<void> {
  return (args, report) => (args.type.startsWith(prefix) ? check(args, report) : undefined);
}

/** The stack name inside a URN (`urn:pulumi:<stack>::<project>::…`). */
export function stackOfUrn(urn: string): string {
  return /^urn:pulumi:([^:]+)::/.exec(urn)?.[1] ?? "";
}

/** Whether an error is the analyzer's "value not known during preview". */
export function isUnknownValueError(err: unknown): boolean {
  if (err instanceof UnknownValueError) return true;
  // A second copy of @pulumi/policy (another node_modules) has its own class: match the shape.
  return (
    typeof err === "object" &&
    err !== null &&
    "unknownTypeSentinel" in err &&
    Array.isArray((err as { props?: unknown }).props)
  );
}

/** The value `read` returns, or undefined when the analyzer does not know it yet (preview). */
export function known<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    if (isUnknownValueError(err)) return undefined;
    throw err;
  }
}

/** Whether a property is set: a value not known yet (an ARN during preview) counts as set. */
export function isSet(read: () => unknown): boolean {
  try {
    const value = read();
    return value !== undefined && value !== null && value !== "";
  } catch (err) {
    if (isUnknownValueError(err)) return true;
    throw err;
  }
}

/** A known string property, or undefined. */
export function knownString(read: () => unknown): string | undefined {
  const value = known(read);
  return typeof value === "string" ? value : undefined;
}

/** `value` as a list (IAM and provider inputs take a value or a list of them). */
export function asList<T>(value: T | T[] | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** The values another resource can use to point at `target`: its id, name and ARN. */
function identities(target: PolicyResource): string[] {
  return ["id", "arn", "bucket", "name", "keyId"]
    .map((k) => knownString(() => target.props[k]))
    .filter((v): v is string => v !== undefined && v !== "");
}

/**
 * Whether `child.props[prop]` points at `target`. Values are compared when
 * they are known; during a preview of new resources they are not, and the
 * engine's property dependencies say the same thing.
 */
export function refersTo(child: PolicyResource, prop: string, target: PolicyResource): boolean {
  if (child.propertyDependencies?.[prop]?.some((d) => d.urn === target.urn)) return true;
  const ids = identities(target);
  const values = asList(known(() => child.props[prop] as unknown));
  return values.some((v) => typeof v === "string" && ids.includes(v));
}

/** Resources of one of these types that point at `target` through `prop`. */
export function attachedTo(
  resources: readonly PolicyResource[],
  types: readonly string[],
  prop: string,
  target: PolicyResource,
): PolicyResource[] {
  return resources.filter((r) => types.includes(r.type) && refersTo(r, prop, target));
}

/** A tag's value on a resource, when known. */
export function tagOf(r: PolicyResource | ResourceValidationArgs, key: string): string | undefined {
  return knownString(() => (r.props.tags as Record<string, unknown> | undefined)?.[key]);
}

/** How a resource is named in a violation: `type name`. */
export function describe(r: { type: string; name: string }): string {
  return `${r.type.split(":").pop()} '${r.name}'`;
}
