/**
 * RLS for the example multi-tenant app (schema: ./schema.sql), declared
 * in TypeScript. The `local` stack applies it; tests and the benchmark use it
 * as a realistic set.
 */
import { join } from "node:path";
import type { TableDeclaration } from "../../rls/model";

/** Path of the app's migration that creates these tables. */
export const APP_SCHEMA_SQL_PATH = join(__dirname, "schema.sql");

export const APP_RLS_TABLES: TableDeclaration[] = [
  {
    table: "tenants",
    // Members see their own tenant; creating and renaming tenants is a service_role job.
    policies: [
      {
        name: "member_read",
        command: "SELECT",
        roles: ["authenticated"],
        using: "id = ((select auth.jwt()) ->> 'tenant_id')::uuid",
      },
    ],
  },
  { table: "tenant_members", tenant: { column: "tenant_id" } },
  { table: "projects", tenant: { column: "tenant_id" } },
  { table: "agents", tenant: { column: "tenant_id" } },
  { table: "user_preferences", owner: { column: "user_id" } },
  { table: "plans", publicRead: true },
];
