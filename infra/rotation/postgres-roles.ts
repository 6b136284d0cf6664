/**
 * The declaration behind a `postgres-login` credential, decided once from
 * config and applied by two hands: the @pulumi/postgresql component
 * (postgres-group.ts) in stacks with its plugin, and `groupRoleSql` in the
 * `local` harness. Both grant the same privileges to the same group.
 *
 * Why a group: with alternating login roles, grants given to one login after
 * the first rotation never reached the other, and tables created by one login
 * were owned by it and denied to the other. Here the logins own nothing and
 * hold no grants: they are members of the group, every session starts as the
 * group (`ALTER ROLE … SET role`), so what a login creates is the group's,
 * and every grant is the group's.
 */
import type { RotatedCredentialConfig } from "../config/index";
import { quoteIdent } from "../postgres/identifiers";

export interface GroupRoleDeclaration {
  /** The group role: owns the objects, holds the grants, never logs in. */
  group: string;
  /** The two login roles that take turns. */
  logins: [string, string];
  schemas: string[];
  privileges: string[];
}

/** `app-db-login` → `app_db_login`. */
export function snakeName(name: string): string {
  return name.replace(/-/g, "_");
}

export function groupRoleDeclaration(
  c: Pick<RotatedCredentialConfig, "name" | "group" | "schemas" | "privileges">,
): GroupRoleDeclaration {
  const group = c.group ?? snakeName(c.name);
  // Suffixes keep both names within Postgres's 63 bytes when the group is at most 61.
  return {
    group,
    logins: [`${group.slice(0, 61)}_a`, `${group.slice(0, 61)}_b`],
    schemas: [...c.schemas],
    privileges: [...new Set(c.privileges)].sort(),
  };
}

/**
 * The group, its schema usage, table privileges and default privileges, as
 * idempotent SQL for the local harness (the @pulumi/postgresql component
 * declares the same for the other stacks). Default privileges cover tables
 * that the connecting owner creates later, so a new table needs no new grant.
 */
export function groupRoleSql(d: GroupRoleDeclaration, owner: string): string {
  const g = quoteIdent(d.group);
  const privileges = d.privileges.join(", ");
  const lines = [
    `do $$ begin
  if not exists (select 1 from pg_roles where rolname = '${d.group.replace(/'/g, "''")}') then
    create role ${g} nologin;
  end if;
end $$;`,
  ];
  for (const schema of d.schemas) {
    const s = quoteIdent(schema);
    lines.push(
      `grant usage on schema ${s} to ${g};`,
      `grant ${privileges} on all tables in schema ${s} to ${g};`,
      `grant usage, select on all sequences in schema ${s} to ${g};`,
      `alter default privileges for role ${quoteIdent(owner)} in schema ${s} grant ${privileges} on tables to ${g};`,
      `alter default privileges for role ${quoteIdent(owner)} in schema ${s} grant usage, select on sequences to ${g};`,
    );
  }
  return lines.join("\n");
}
