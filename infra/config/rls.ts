/**
 * `runbooks:rls`: tables whose row-level security the stack manages, declared
 * as data. The RLS provider validates its inputs with the same schemas, so a
 * rule holds whether a table is declared here or in TypeScript.
 */
import { z } from "zod";
import { identifierProblem } from "../postgres/identifiers";
import { duplicates } from "../lib/unique";
import { parseWith, type ConfigContext } from "./errors";
import { identifier } from "./shared";

export const rlsCommandSchema = z.enum(["ALL", "SELECT", "INSERT", "UPDATE", "DELETE"]);

/** Table privileges a declaration can give a role (Postgres 15's full set). */
export const TABLE_PRIVILEGES = [
  "SELECT",
  "INSERT",
  "UPDATE",
  "DELETE",
  "TRUNCATE",
  "REFERENCES",
  "TRIGGER",
] as const;
export const rlsPrivilegeSchema = z.enum(TABLE_PRIVILEGES);

/** A policy's fields without the cross-field rules, for schemas that extend or pick from it. */
export const rlsPolicyObject = z
  .object({
    name: z
      .string()
      .min(1)
      .superRefine((name, ctx) => {
        // Bytes, not characters: Postgres cuts a longer name silently, and the next diff would never converge.
        const problem = name.length > 0 ? identifierProblem(name) : undefined;
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
    command: rlsCommandSchema.default("ALL"),
    mode: z.enum(["PERMISSIVE", "RESTRICTIVE"]).default("PERMISSIVE"),
    roles: z
      .array(z.string().min(1))
      .min(1, "needs at least one role (use 'public' for every role)")
      .default(["public"]),
    using: z.string().min(1).optional(),
    withCheck: z.string().min(1).optional(),
  })
  .strict();

type PolicyFields = Pick<z.infer<typeof rlsPolicyObject>, "command" | "using" | "withCheck">;

/** The rules between a policy's fields, as zod issues; shared with the RLS provider's check. */
export function checkPolicyClauses(p: PolicyFields, ctx: z.RefinementCtx): void {
  if (p.command === "INSERT" && p.using !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["using"],
      message: "an INSERT policy cannot have USING; use withCheck",
    });
  }
  if ((p.command === "SELECT" || p.command === "DELETE") && p.withCheck !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["withCheck"],
      message: `a ${p.command} policy cannot have WITH CHECK; use using`,
    });
  }
  if (p.using === undefined && p.withCheck === undefined) {
    ctx.addIssue({ code: "custom", message: "a policy needs using, withCheck or both" });
  }
}

export const rlsPolicySchema = rlsPolicyObject.superRefine(checkPolicyClauses);

/** A table's fields without the cross-field rules. */
export const rlsTableObject = z
  .object({
    schema: identifier.default("public"),
    table: identifier,
    /** ENABLE ROW LEVEL SECURITY. */
    enabled: z.boolean().default(true),
    /** FORCE ROW LEVEL SECURITY (the owner is subject to policies too). */
    force: z.boolean().default(true),
    /** Helper: isolate rows by this column against the JWT claim `tenantClaim`. */
    tenantColumn: identifier.optional(),
    /** JWT claim holding the caller's tenant id. */
    tenantClaim: z.string().default("tenant_id"),
    /** Helper: rows owned by `auth.uid()` in this column. */
    ownerColumn: identifier.optional(),
    /** Helper: anyone (including anon) may read. */
    publicRead: z.boolean().default(false),
    /** Explicit policies, in addition to the helpers. */
    policies: z.array(rlsPolicySchema).default([]),
    /**
     * Table privileges per API role (`anon`, `authenticated`, the app role, `public`),
     * overriding the default: SELECT, INSERT, UPDATE, DELETE for the roles the
     * policies name, nothing for the others, and never TRUNCATE, REFERENCES or
     * TRIGGER (RLS does not govern them).
     */
    privileges: z.record(identifier, z.array(rlsPrivilegeSchema)).optional(),
  })
  .strict();

export const rlsTableSchema = rlsTableObject.superRefine((t, ctx) => {
  for (const d of duplicates(t.policies, (p) => p.name)) {
    ctx.addIssue({
      code: "custom",
      path: ["policies", d.index, "name"],
      message: `duplicate policy name '${d.key}' on ${t.schema}.${t.table}`,
    });
  }
  if (t.tenantColumn && t.ownerColumn) {
    ctx.addIssue({
      code: "custom",
      message: "choose one of tenantColumn or ownerColumn for the helper policies",
    });
  }
});

export const rlsSchema = z
  .object({
    tables: z.array(rlsTableSchema).default([]),
  })
  .strict()
  .superRefine((r, ctx) => {
    for (const d of duplicates(r.tables, (t) => `${t.schema}.${t.table}`)) {
      ctx.addIssue({
        code: "custom",
        path: ["tables", d.index, "table"],
        message: `table ${d.key} is declared twice`,
      });
    }
  });

export type RlsConfig = z.infer<typeof rlsSchema>;
export type RlsTableConfig = z.infer<typeof rlsTableSchema>;
export type RlsPolicyConfig = z.infer<typeof rlsPolicySchema>;

/** Validate `runbooks:rls` alone (absent: no tables). Throws `ConfigError`. */
export function parseRls(raw: unknown, context: ConfigContext): RlsConfig {
  return parseWith(rlsSchema, raw ?? {}, context, ["rls"]);
}
