/**
 * What one `RlsTable` resource takes, and `check`: validation with the same
 * zod schemas as the stack config (so a rule is written once and a TypeScript
 * declaration gets the same answer as a YAML one), then canonicalization —
 * defaults, sorted roles and policies, `auth.*()` calls wrapped — so that
 * every later diff compares like with like.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { lockRetriesSchema, lockTimeoutSecondsSchema } from "../config/database";
import { rlsPolicySchema, rlsTableObject } from "../config/rls";
import { duplicates } from "../lib/unique";
import { identifierProblem } from "../postgres/identifiers";
import { analyzeExpression, describeProblem } from "./expressions";
import { byCodePoint, type PolicySpec } from "./model";
import { canonicalPrivileges, type PrivilegeMap } from "./privileges";
import { allowedClauses } from "./sql";

/** Inputs of one RLS table resource, as the engine passes them (secrets already unwrapped). */
export interface RlsTableInputs {
  schema: string;
  table: string;
  enabled: boolean;
  force: boolean;
  policies: PolicySpec[];
  /** Admin/owner connection string. Secret. */
  connection: string;
  lockTimeoutSeconds: number;
  lockRetries: number;
  /** Every schema the stack declares tables in: the scope of the shared refresh snapshot. */
  catalogSchemas: string[];
  /**
   * Table privileges by grantee (privileges.ts), complete for the grantees it
   * manages. Absent in state written before privileges were managed.
   */
  privileges?: PrivilegeMap;
  /**
   * Hash of the code that applied this state (its import graph). Recorded,
   * not acted on: see `diff` in provider.ts for why a new version alone is
   * not a change.
   */
  providerVersion: string;
}

/** The engine's placeholder for a value not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Policies the provider creates for a moment while normalizing expressions. */
export const RESERVED_POLICY_PREFIX = "__runbooks_";

const name = z.string().superRefine((value, ctx) => {
  const problem = identifierProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: `'${value}' ${problem}` });
});

const tableInputs = z.object({
  schema: name,
  table: name,
  enabled: z.boolean().default(true),
  force: z.boolean().default(true),
  connection: z
    .string()
    .min(
      1,
      "must be a Postgres connection string (set the secret named by runbooks:database.urlSecretRef)",
    ),
  lockTimeoutSeconds: lockTimeoutSecondsSchema.default(5),
  lockRetries: lockRetriesSchema.default(5),
  catalogSchemas: z.array(z.string()).optional(),
  privileges: rlsTableObject.shape.privileges,
  providerVersion: z.string().optional(),
});

type Failure = pulumi.dynamic.CheckFailure;

function propertyOf(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const part of path) {
    out += typeof part === "number" ? `[${part}]` : out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

function failuresOf(error: z.ZodError, prefix = ""): Failure[] {
  return error.issues.map((issue) => ({
    property: propertyOf(prefix, issue.path),
    reason: issue.message,
  }));
}

async function checkPolicy(
  raw: unknown,
  at: string,
): Promise<{ spec?: PolicySpec; failures: Failure[] }> {
  if (raw === null || typeof raw !== "object") {
    return { failures: [{ property: at, reason: "must be an object" }] };
  }
  const { renamedFrom, ...rest } = raw as Record<string, unknown>;
  const failures: Failure[] = [];
  if (typeof rest.name === "string") {
    const nameProblem = identifierProblem(rest.name);
    if (nameProblem)
      failures.push({ property: `${at}.name`, reason: `'${rest.name}' ${nameProblem}` });
    if (rest.name.startsWith(RESERVED_POLICY_PREFIX)) {
      failures.push({
        property: `${at}.name`,
        reason: `'${rest.name}' uses the prefix this provider reserves for temporary policies`,
      });
    }
  }
  // Canonical specs carry null for an absent clause; the config schema says "absent".
  const declared = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null));
  const parsed = rlsPolicySchema.safeParse(declared);
  if (!parsed.success) return { failures: [...failures, ...failuresOf(parsed.error, at)] };
  const p = parsed.data;
  p.roles.forEach((role, j) => {
    const problem = identifierProblem(role);
    if (problem) failures.push({ property: `${at}.roles[${j}]`, reason: `'${role}' ${problem}` });
  });
  if (renamedFrom !== undefined && renamedFrom !== null && typeof renamedFrom !== "string") {
    failures.push({ property: `${at}.renamedFrom`, reason: "must be the policy's previous name" });
  }
  const clauses = allowedClauses(p.command);
  const expressions: Record<"using" | "withCheck", string | null> = {
    using: null,
    withCheck: null,
  };
  for (const clause of ["using", "withCheck"] as const) {
    const value = p[clause];
    if (value === undefined || !clauses[clause]) continue;
    const analysis = await analyzeExpression(value);
    if (analysis.problem) {
      const label = clause === "using" ? "USING" : "WITH CHECK";
      failures.push({
        property: `${at}.${clause}`,
        reason: `policy '${p.name}' ${label} does not parse: ${describeProblem(value, analysis.problem)}`,
      });
      continue;
    }
    expressions[clause] = analysis.wrapped;
  }
  const spec: PolicySpec = {
    name: p.name,
    command: p.command,
    mode: p.mode,
    roles: [...new Set(p.roles)].sort(byCodePoint),
    using: expressions.using,
    withCheck: expressions.withCheck,
  };
  if (typeof renamedFrom === "string") spec.renamedFrom = renamedFrom;
  return { spec, failures };
}

/**
 * Validate and canonicalize inputs. Pure apart from the (WASM) SQL parser;
 * never touches the database. Values the engine does not know yet (preview)
 * pass through unchecked.
 */
export async function checkRlsTableInputs(
  news: Record<string, unknown>,
): Promise<{ inputs: RlsTableInputs; failures: Failure[] }> {
  const unknownKeys = Object.keys(tableInputs.shape).filter((k) => news[k] === UNKNOWN);
  const schema = z.object(
    Object.fromEntries(
      Object.entries(tableInputs.shape).filter(([key]) => !unknownKeys.includes(key)),
    ),
  );
  const parsed = schema.safeParse(news);
  const failures: Failure[] = parsed.success ? [] : failuresOf(parsed.error);
  const top = (parsed.success ? parsed.data : {}) as Partial<RlsTableInputs>;

  let policies: PolicySpec[] | typeof UNKNOWN = UNKNOWN;
  if (news.policies !== UNKNOWN) {
    const list = Array.isArray(news.policies) ? news.policies : [];
    if (!Array.isArray(news.policies) && news.policies !== undefined)
      failures.push({ property: "policies", reason: "must be a list" });
    const checked = await Promise.all(list.map((raw, i) => checkPolicy(raw, `policies[${i}]`)));
    checked.forEach((c) => failures.push(...c.failures));
    const names = list.map((raw, i) => ({ i, name: (raw as { name?: unknown } | null)?.name }));
    const named = names.filter((n): n is { i: number; name: string } => typeof n.name === "string");
    for (const dup of duplicates(named, (n) => n.name)) {
      failures.push({
        property: `policies[${named[dup.index]!.i}].name`,
        reason: `policy '${dup.key}' is declared twice on this table`,
      });
    }
    const specs = checked.flatMap((c) => (c.spec ? [c.spec] : []));
    policies = specs.sort((a, b) => byCodePoint(a.name, b.name));
  }
  const catalogSchemas = Array.isArray(news.catalogSchemas)
    ? [...new Set(news.catalogSchemas as string[])].sort(byCodePoint)
    : [String(news.schema)];
  const inputs = {
    ...(news as unknown as RlsTableInputs),
    ...top,
    policies,
    catalogSchemas,
  } as RlsTableInputs;
  if (top.privileges) inputs.privileges = canonicalPrivileges(top.privileges);
  return { inputs, failures };
}
