/**
 * Who holds the locks an RLS change or catalog read waits for, said so an
 * operator can act: pid, lock mode, how long, which application, and how to
 * stop it. Never the query text: it may hold literals.
 */
import { withConnection } from "../postgres/client";
import { qualifiedTable } from "./sql";

export type LockScope =
  | { table: { schema: string; table: string } }
  /** ACCESS EXCLUSIVE locks on any table of these schemas: what blocks a catalog read. */
  | { exclusiveInSchemas: string[] };

const HOLDERS_SQL = `
select a.pid, l.mode, coalesce(a.state, '') as state, coalesce(a.application_name, '') as app,
       coalesce(n.nspname || '.' || c.relname, '') as relation,
       coalesce(extract(epoch from now() - coalesce(a.xact_start, a.query_start))::int, 0) as seconds
from pg_locks l
join pg_stat_activity a on a.pid = l.pid
join pg_class c on c.oid = l.relation
join pg_namespace n on n.oid = c.relnamespace
where l.granted and l.pid <> pg_backend_pid() and l.locktype = 'relation'
  and (($1::text is not null and l.relation = to_regclass($1))
       or ($2::text[] is not null and n.nspname = any($2) and l.mode = 'AccessExclusiveLock'))
order by seconds desc limit 5`;

export async function describeLockHolders(
  connectionString: string,
  scope: LockScope,
): Promise<string> {
  const table = "table" in scope ? qualifiedTable(scope.table) : null;
  const schemas = "exclusiveInSchemas" in scope ? scope.exclusiveInSchemas : null;
  return withConnection(
    { connectionString, applicationName: "runbooks-rls" },
    "find who holds the locks",
    async (client) => {
      const { rows } = await client.query(HOLDERS_SQL, [table, schemas]);
      return (
        rows as {
          pid: number;
          mode: string;
          state: string;
          app: string;
          relation: string;
          seconds: number;
        }[]
      )
        .map(
          (r) =>
            `pid ${r.pid} (${r.mode}${schemas ? ` on ${r.relation}` : ""}, ${r.state || "active"} for ${r.seconds} s${r.app ? `, application '${r.app}'` : ""}; stop it with select pg_terminate_backend(${r.pid}) if it is stuck)`,
        )
        .join("; ");
    },
  );
}
