/**
 * `PostgresGroupRole`: the long-lived, declarative half of a postgres-login
 * credential through @pulumi/postgresql — the group role, its schema usage,
 * table and sequence privileges, and default privileges for tables the
 * owner creates later. The login roles and their passwords are not here: a
 * `postgresql.Role` with a password would store it in state as an input, and
 * its `login`/`validUntil` would fight the rotation that switches them.
 */
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import type { GroupRoleDeclaration } from "./postgres-roles";

export interface PostgresGroupRoleArgs {
  /** What postgres-roles.ts declared for the credential. */
  declaration: GroupRoleDeclaration;
  /** The owner connection string (secret): provider settings and the owner of future tables. */
  connection: pulumi.Input<string>;
}

function part(connection: pulumi.Input<string>, pick: (u: URL) => string) {
  return pulumi.secret(pulumi.output(connection).apply((c) => pick(new URL(c))));
}

export class PostgresGroupRole extends pulumi.ComponentResource {
  readonly group: string;

  constructor(name: string, args: PostgresGroupRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("runbooks:rotation:PostgresGroupRole", name, {}, opts);
    const d = args.declaration;
    // Host, port, database and owner are not secret, though they come from the secret URL.
    const url = pulumi.unsecret(pulumi.output(args.connection)).apply((c) => new URL(c));
    const database = url.apply(
      (u) => decodeURIComponent(u.pathname.replace(/^\//, "")) || "postgres",
    );
    // A Supabase pooler user is `<role>.<ref>`; the role that owns the tables is the part before the dot.
    const owner = url.apply((u) => decodeURIComponent(u.username).split(".")[0]!);
    const provider = new postgresql.Provider(
      `${name}-provider`,
      {
        host: url.apply((u) => u.hostname),
        port: url.apply((u) => Number(u.port || 5432)),
        username: part(args.connection, (u) => decodeURIComponent(u.username)),
        password: part(args.connection, (u) => decodeURIComponent(u.password)),
        database,
        sslmode: url.apply((u) => u.searchParams.get("sslmode") ?? "require"),
        superuser: false,
      },
      { parent: this },
    );
    const child = { parent: this, provider };
    const role = new postgresql.Role(
      `${name}-group`,
      { name: d.group, login: false, inherit: true },
      child,
    );
    const after = { ...child, dependsOn: [role] };
    for (const schema of d.schemas) {
      new postgresql.Grant(
        `${name}-${schema}-usage`,
        { database, role: d.group, schema, objectType: "schema", privileges: ["USAGE"] },
        after,
      );
      new postgresql.Grant(
        `${name}-${schema}-tables`,
        {
          database,
          role: d.group,
          schema,
          objectType: "table",
          objects: [],
          privileges: d.privileges,
        },
        after,
      );
      new postgresql.Grant(
        `${name}-${schema}-sequences`,
        {
          database,
          role: d.group,
          schema,
          objectType: "sequence",
          objects: [],
          privileges: ["USAGE", "SELECT"],
        },
        after,
      );
      new postgresql.DefaultPrivileges(
        `${name}-${schema}-default-tables`,
        { database, role: d.group, owner, schema, objectType: "table", privileges: d.privileges },
        after,
      );
      new postgresql.DefaultPrivileges(
        `${name}-${schema}-default-sequences`,
        {
          database,
          role: d.group,
          owner,
          schema,
          objectType: "sequence",
          privileges: ["USAGE", "SELECT"],
        },
        after,
      );
    }
    this.group = d.group;
    this.registerOutputs({ group: d.group });
  }
}
