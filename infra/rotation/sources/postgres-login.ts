/**
 * Alternating Postgres login roles. A rotation sets a new password on the
 * login the current generation does not use, so the current one keeps
 * working through the redeploy; the URL the sinks receive is the owner's
 * connection string with that login and password.
 *
 * Revocation, after the gate: a generation whose login has since been given a
 * newer password is already dead for new connections, so only its sessions
 * that started before that password are ended; a generation whose login is
 * idle is switched off (NOLOGIN, VALID UNTIL now) and its sessions ended.
 * The current generation's login is never touched.
 */
import { withConnection, type Queryable } from "../../postgres/client";
import { quoteIdent, quoteLiteral } from "../../postgres/identifiers";
import { randomSecret } from "./generic";
import { scramVerifier } from "./scram";
import type { CredentialSource } from "./source";
import type { RetiredEntry, Slot } from "../plan";

export interface PostgresLoginOptions {
  /** Owner/admin connection string (CREATEROLE). Secret. */
  connection: string;
  group: string;
  logins: [string, string];
}

const PASSWORD_LENGTH = 40;

/**
 * The URL the app connects with: the owner's URL, another user and password.
 * A Supabase pooler user carries the project ref (`postgres.<ref>`): the login
 * keeps it (`app_login_a.<ref>`), as Supavisor routes on it.
 */
export function loginUrl(ownerUrl: string, login: string, password: string): string {
  const url = new URL(ownerUrl);
  const owner = decodeURIComponent(url.username);
  const dot = owner.indexOf(".");
  url.username = encodeURIComponent(dot > 0 ? `${login}${owner.slice(dot)}` : login);
  url.password = encodeURIComponent(password);
  return url.toString();
}

async function ensureLogin(db: Queryable, o: PostgresLoginOptions, login: string): Promise<void> {
  const group = await db.query("select rolcanlogin from pg_roles where rolname = $1", [o.group]);
  if (group.rowCount === 0)
    throw new Error(
      `the group role '${o.group}' does not exist; it is declared by this stack's postgres roles (the @pulumi/postgresql component, or the local harness with rotation.postgresRoles: external)`,
    );
  const exists = await db.query("select 1 from pg_roles where rolname = $1", [login]);
  if (exists.rowCount === 0) await db.query(`create role ${quoteIdent(login)} nologin`);
  await db.query(`grant ${quoteIdent(o.group)} to ${quoteIdent(login)}`);
  // Every session starts as the group: what a login creates belongs to the group.
  await db.query(`alter role ${quoteIdent(login)} set role ${quoteIdent(o.group)}`);
}

async function endSessions(db: Queryable, login: string, startedBefore?: string): Promise<number> {
  const result = await db.query(
    `select count(pg_terminate_backend(pid))::int as ended from pg_stat_activity
     where usename = $1 and pid <> pg_backend_pid() and ($2::timestamptz is null or backend_start < $2::timestamptz)`,
    [login, startedBefore ?? null],
  );
  return (result.rows[0] as { ended: number }).ended;
}

export function postgresLoginSource(o: PostgresLoginOptions): CredentialSource {
  const target = { connectionString: o.connection, applicationName: "runbooks-rotation" };
  return {
    async create(generation, current) {
      const login = current?.detail.login === o.logins[0] ? o.logins[1] : o.logins[0];
      const password = randomSecret(PASSWORD_LENGTH, "alphanumeric");
      const createdAt = await withConnection(
        target,
        `rotate postgres login ${login}`,
        async (db) => {
          await ensureLogin(db, o, login);
          await db.query(
            `alter role ${quoteIdent(login)} with login password ${quoteLiteral(scramVerifier(password))} valid until 'infinity'`,
          );
          return ((await db.query("select now() as at")).rows[0] as { at: Date }).at.toISOString();
        },
      );
      const slot: Slot = {
        id: `${login}#g${generation}`,
        generation,
        createdAt,
        detail: { login, group: o.group },
      };
      return { slot, value: loginUrl(o.connection, login, password) };
    },

    async revoke(entry: RetiredEntry, live: Slot[]) {
      const login = entry.detail.login!;
      return withConnection(
        target,
        `revoke postgres login ${login} generation ${entry.generation}`,
        async (db) => {
          const reused = live.find((s) => s.detail.login === login);
          if (reused) {
            // The login carries a newer, live password now; its older sessions are the old generation's.
            const ended = await endSessions(db, login, reused.createdAt);
            return { detail: { login, action: "password replaced", sessionsEnded: String(ended) } };
          }
          await db.query(
            `alter role ${quoteIdent(login)} with nologin valid until ${quoteLiteral(new Date().toISOString())}`,
          );
          const ended = await endSessions(db, login);
          return { detail: { login, action: "nologin", sessionsEnded: String(ended) } };
        },
      );
    },

    async settle(current, previous) {
      await withConnection(target, "settle postgres logins after the gate", async (db) => {
        await db.query(
          `alter role ${quoteIdent(current.detail.login!)} with login valid until 'infinity'`,
        );
        if (previous && previous.slot.detail.login !== current.detail.login)
          await db.query(
            `alter role ${quoteIdent(previous.slot.detail.login!)} valid until ${quoteLiteral(previous.until)}`,
          );
      });
    },
  };
}
