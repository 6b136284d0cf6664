/**
 * RLS lints: pure rules over one catalog snapshot and the declared set.
 *
 * RLS fails open in three ways — it is off, a role bypasses it, or the owner
 * is exempt because FORCE is missing — and leaks in two more: a policy that
 * says `true` where a tenant check belongs, and a SECURITY DEFINER view or
 * function that reads the table as its owner. Each rule below catches one of
 * those, says how bad it is, and how to fix it.
 */
import type { LivePolicy } from "../catalog";
import { findUnwrappedAuthCalls } from "../expressions";
import { tableKey, type TableSpec } from "../model";

export type Severity = "error" | "warning";

export const LINT_RULES = {
  "rls-disabled": "table in an exposed schema without row level security",
  "rls-not-forced":
    "RLS enabled but not forced, and the app role owns the table (owners bypass RLS)",
  "bypassrls-role": "role with BYPASSRLS that is not allowed to have it",
  "tenant-policy-true":
    "policy with USING/WITH CHECK (true) for API roles on a tenant-scoped table",
  "auth-call-per-row": "auth.uid()/auth.jwt() not wrapped in (select …): evaluated for every row",
  "rls-no-policies": "RLS enabled but no policy: every API role is locked out",
  "security-definer-view": "view in an exposed schema that runs as its owner and bypasses RLS",
  "materialized-view-exposed":
    "materialized view readable by API roles: materialized views have no RLS",
  "security-definer-function":
    "SECURITY DEFINER function callable by API roles in an exposed schema",
  "extension-in-exposed-schema":
    "extension installed in an exposed schema: its objects are reachable through the API",
  "multiple-permissive":
    "several permissive policies for the same role and command (they OR together)",
  "declared-table-missing": "declared table does not exist",
  "declared-drift": "live RLS differs from the declaration (run pulumi up)",
  "undeclared-policy":
    "live policy on a managed table that is not declared (the next pulumi up drops it)",
} as const;
export type LintRule = keyof typeof LINT_RULES;

export interface Finding {
  rule: LintRule;
  severity: Severity;
  /** The object at fault: `public.agents`, `public.agents policy p`, `role x`, … */
  object: string;
  message: string;
  /** What to do about it, concretely. */
  fix: string;
}

export interface LintTable {
  schema: string;
  name: string;
  rlsEnabled: boolean;
  rlsForced: boolean;
  owner: string;
  /** Set when the table belongs to an extension (not the app's to change). */
  extension: string | null;
  /** The app role is the owner or inherits the owner's privileges. */
  ownerIsAppRole: boolean;
  policies: LivePolicy[];
}

export interface LintCatalog {
  tables: LintTable[];
  /** Roles with BYPASSRLS or SUPERUSER. */
  roles: { name: string; superuser: boolean; bypassRls: boolean }[];
  /** Views and materialized views in exposed schemas. */
  views: {
    schema: string;
    name: string;
    kind: "view" | "materialized";
    securityInvoker: boolean;
    owner: string;
    /** Set when the view belongs to an extension. */
    extension: string | null;
    readableBy: string[];
  }[];
  /** SECURITY DEFINER functions in exposed schemas. */
  functions: {
    schema: string;
    name: string;
    signature: string;
    owner: string;
    /** Set when the function belongs to an extension. */
    extension: string | null;
    executableBy: string[];
  }[];
}

export interface LintSettings {
  exposedSchemas: string[];
  appRole: string;
  /** Roles allowed BYPASSRLS besides superusers (runbooks:database.bypassRlsAllowed). */
  bypassRlsAllowed: string[];
  /** Where declarations live, for fixes (e.g. `stacks/Pulumi.staging.yaml`). */
  declarationsHint?: string;
}

const COMMANDS = ["SELECT", "INSERT", "UPDATE", "DELETE"] as const;

function appliesTo(p: LivePolicy, role: string): boolean {
  return p.roles.includes("public") || p.roles.includes(role);
}

function appliesToCommand(p: LivePolicy, command: (typeof COMMANDS)[number]): boolean {
  return p.command === "ALL" || p.command === command;
}

function isTrue(expression: string | null): boolean {
  return expression !== null && /^\(*\s*true\s*\)*$/i.test(expression.trim());
}

/** Run every rule. Findings are sorted errors first, then by object. */
export async function lintRls(
  catalog: LintCatalog,
  declared: TableSpec[],
  settings: LintSettings,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const add = (f: Finding) => findings.push(f);
  const where = settings.declarationsHint ?? "runbooks:rls.tables";
  const exposed = new Set(settings.exposedSchemas);
  const declaredByKey = new Map(declared.map((t) => [tableKey(t), t]));
  const liveByKey = new Map(catalog.tables.map((t) => [`${t.schema}.${t.name}`, t]));
  const apiRoles = [...new Set(["anon", "authenticated", settings.appRole])];

  // Objects an extension installed are not the app's to alter: one finding per extension instead.
  const extensionObjects = new Map<string, { schema: string; objects: string[] }>();
  const byExtension = (extension: string, schema: string, object: string) => {
    const entry = extensionObjects.get(extension) ?? { schema, objects: [] };
    entry.objects.push(object);
    extensionObjects.set(extension, entry);
  };

  for (const t of catalog.tables) {
    const key = `${t.schema}.${t.name}`;
    const spec = declaredByKey.get(key);
    if (t.extension && exposed.has(t.schema) && !t.rlsEnabled) {
      byExtension(t.extension, t.schema, key);
      continue;
    }
    if (exposed.has(t.schema) && !t.rlsEnabled && !(spec && !spec.enabled)) {
      add({
        rule: "rls-disabled",
        severity: "error",
        object: key,
        message: `${key} is in the exposed schema '${t.schema}' and has row level security OFF: every API role with a grant reads and writes every row`,
        fix: `declare it in ${where} (enabled: true, with policies), or run: ALTER TABLE ${key} ENABLE ROW LEVEL SECURITY`,
      });
    }
    if (t.rlsEnabled && !t.rlsForced && t.ownerIsAppRole) {
      add({
        rule: "rls-not-forced",
        severity: "error",
        object: key,
        message: `${key} is owned by '${t.owner}', whose privileges the app role '${settings.appRole}' has; owners bypass RLS unless it is FORCED`,
        fix: `set force: true for ${key} in ${where}, or run: ALTER TABLE ${key} FORCE ROW LEVEL SECURITY`,
      });
    }
    if (t.rlsEnabled && t.policies.length === 0) {
      add({
        rule: "rls-no-policies",
        severity: "warning",
        object: key,
        message: `${key} has RLS on and no policy: only superusers and BYPASSRLS roles can touch it`,
        fix: `declare policies for ${key} in ${where}, or, if only service_role should reach it, revoke the API roles' grants: REVOKE ALL ON ${key} FROM anon, ${settings.appRole}`,
      });
    }
    if (spec?.tenantColumn) {
      for (const p of t.policies) {
        const roles = p.roles.filter((r) => r === "public" || apiRoles.includes(r));
        if (
          p.mode === "PERMISSIVE" &&
          roles.length > 0 &&
          (isTrue(p.using) || isTrue(p.withCheck))
        ) {
          add({
            rule: "tenant-policy-true",
            severity: "error",
            object: `${key} policy ${p.name}`,
            message: `${key} is tenant-scoped by ${spec.tenantColumn}, but policy ${p.name} (${p.command} to ${roles.join(", ")}) is ${isTrue(p.using) ? "USING (true)" : "WITH CHECK (true)"}: it opens every tenant's rows`,
            fix: `drop policy ${p.name} or restrict it with ${spec.tenantColumn} = ((select auth.jwt()) ->> '${spec.tenantClaim ?? "tenant_id"}')::uuid`,
          });
        }
      }
    }
    for (const p of t.policies) {
      for (const [clause, expression] of [
        ["USING", p.using],
        ["WITH CHECK", p.withCheck],
      ] as const) {
        if (expression === null) continue;
        const calls = await findUnwrappedAuthCalls(expression).catch(() => []);
        if (calls.length > 0) {
          const names = [...new Set(calls.map((c) => c.call))].join(", ");
          add({
            rule: "auth-call-per-row",
            severity: "warning",
            object: `${key} policy ${p.name}`,
            message: `${clause} of ${p.name} calls ${names} outside a (select …): Postgres evaluates it for every row scanned`,
            fix: `write ${calls
              .map((c) => `(select ${c.call})`)
              .filter((v, i, a) => a.indexOf(v) === i)
              .join(", ")} instead (declared policies are rewritten this way automatically)`,
          });
        }
      }
    }
    for (const role of [
      ...new Set([
        ...apiRoles,
        ...t.policies.flatMap((p) => p.roles).filter((r) => r !== "public"),
      ]),
    ]) {
      for (const command of COMMANDS) {
        const permissive = t.policies.filter(
          (p) => p.mode === "PERMISSIVE" && appliesTo(p, role) && appliesToCommand(p, command),
        );
        if (permissive.length > 1) {
          add({
            rule: "multiple-permissive",
            severity: "warning",
            object: `${key} ${role} ${command}`,
            message: `${permissive.length} permissive policies apply to ${role} for ${command} on ${key} (${permissive.map((p) => p.name).join(", ")}): a row passes if ANY of them allows it`,
            fix: `merge them into one policy, or make the narrowing ones AS RESTRICTIVE`,
          });
        }
      }
    }
    if (spec) {
      const declaredNames = new Set(spec.policies.map((p) => p.name));
      for (const p of t.policies) {
        if (!declaredNames.has(p.name)) {
          add({
            rule: "undeclared-policy",
            severity: "warning",
            object: `${key} policy ${p.name}`,
            message: `policy ${p.name} on ${key} is live but not declared; the next pulumi up drops it`,
            fix: `declare it in ${where} if it is meant to stay`,
          });
        }
      }
      const liveNames = new Set(t.policies.map((p) => p.name));
      const missing = spec.policies.filter((p) => !liveNames.has(p.name)).map((p) => p.name);
      const problems = [
        ...(spec.enabled !== t.rlsEnabled
          ? [`RLS is ${t.rlsEnabled ? "on" : "off"} but declared ${spec.enabled ? "on" : "off"}`]
          : []),
        ...(spec.force !== t.rlsForced
          ? [`FORCE is ${t.rlsForced ? "on" : "off"} but declared ${spec.force ? "on" : "off"}`]
          : []),
        ...(missing.length > 0 ? [`declared policies missing: ${missing.join(", ")}`] : []),
      ];
      if (problems.length > 0) {
        add({
          rule: "declared-drift",
          severity: "error",
          object: key,
          message: `${key}: ${problems.join("; ")}`,
          fix: "run pulumi up (or pulumi preview --refresh to see the drift first)",
        });
      }
    }
  }

  for (const t of declared) {
    if (!liveByKey.has(tableKey(t))) {
      add({
        rule: "declared-table-missing",
        severity: "error",
        object: tableKey(t),
        message: `${tableKey(t)} is declared but does not exist`,
        fix: `run the migration that creates it, or remove it from ${where}`,
      });
    }
  }

  const allowed = new Set(settings.bypassRlsAllowed);
  for (const r of catalog.roles) {
    if (r.bypassRls && !r.superuser && !allowed.has(r.name)) {
      add({
        rule: "bypassrls-role",
        severity: "error",
        object: `role ${r.name}`,
        message: `role ${r.name} has BYPASSRLS: every session as ${r.name} ignores every policy`,
        fix: `ALTER ROLE ${r.name} NOBYPASSRLS, or, if it really needs it, add it to runbooks:database.bypassRlsAllowed`,
      });
    }
  }

  for (const v of catalog.views) {
    const key = `${v.schema}.${v.name}`;
    if (v.readableBy.length === 0) continue;
    if (v.extension) {
      byExtension(v.extension, v.schema, key);
      continue;
    }
    if (v.kind === "view" && !v.securityInvoker) {
      add({
        rule: "security-definer-view",
        severity: "error",
        object: key,
        message: `view ${key} is readable by ${v.readableBy.join(", ")} and runs with its owner's (${v.owner}) rights, so the RLS of the tables it reads does not apply`,
        fix: `ALTER VIEW ${key} SET (security_invoker = true), or REVOKE SELECT ON ${key} FROM ${v.readableBy.join(", ")}`,
      });
    }
    if (v.kind === "materialized") {
      add({
        rule: "materialized-view-exposed",
        severity: "warning",
        object: key,
        message: `materialized view ${key} is readable by ${v.readableBy.join(", ")}; materialized views have no RLS`,
        fix: `REVOKE SELECT ON ${key} FROM ${v.readableBy.join(", ")}, or move it to a schema the API does not expose`,
      });
    }
  }

  for (const f of catalog.functions) {
    if (f.executableBy.length === 0) continue;
    const key = `${f.schema}.${f.name}(${f.signature})`;
    if (f.extension) {
      byExtension(f.extension, f.schema, key);
      continue;
    }
    add({
      rule: "security-definer-function",
      severity: "warning",
      object: key,
      message: `SECURITY DEFINER function ${key} runs as ${f.owner} and can be called by ${f.executableBy.join(", ")} through the API; it bypasses RLS`,
      fix: `move it to a schema the API does not expose, ALTER FUNCTION ${key} SECURITY INVOKER, or REVOKE EXECUTE ON FUNCTION ${key} FROM ${f.executableBy.join(", ")}, PUBLIC`,
    });
  }

  for (const [extension, { schema, objects }] of extensionObjects) {
    const shown =
      objects.slice(0, 5).join(", ") + (objects.length > 5 ? `, … (${objects.length} in all)` : "");
    add({
      rule: "extension-in-exposed-schema",
      severity: "warning",
      object: `extension ${extension}`,
      message: `extension ${extension} is installed in the exposed schema '${schema}'; the API can reach ${shown}, which RLS does not cover`,
      fix: `CREATE SCHEMA IF NOT EXISTS extensions; ALTER EXTENSION ${extension} SET SCHEMA extensions`,
    });
  }

  const rank = (s: Severity) => (s === "error" ? 0 : 1);
  return findings.sort(
    (a, b) =>
      rank(a.severity) - rank(b.severity) ||
      (a.object < b.object ? -1 : a.object > b.object ? 1 : 0) ||
      (a.rule < b.rule ? -1 : 1),
  );
}

/** Human-readable report, one block per finding. */
export function formatFindings(findings: Finding[]): string {
  if (findings.length === 0) return "No RLS problems found.";
  const errors = findings.filter((f) => f.severity === "error").length;
  const lines = [
    `${findings.length} finding(s): ${errors} error(s), ${findings.length - errors} warning(s)`,
    "",
  ];
  for (const f of findings) {
    lines.push(
      `${f.severity.toUpperCase().padEnd(7)} ${f.rule}  ${f.object}`,
      `        ${f.message}`,
      `        fix: ${f.fix}`,
      "",
    );
  }
  return lines.join("\n").trimEnd();
}
