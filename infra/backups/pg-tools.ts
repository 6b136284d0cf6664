/**
 * The Postgres client programs a backup needs (pg_dump, pg_restore, psql):
 * which binary to run, whether it is new enough, and how to hand it a
 * connection without a password on its command line.
 *
 * Why these rules:
 * - pg_dump must be at least the server's major version; an older one refuses
 *   or, worse, misses newer catalog features. So the newest installed client is
 *   picked and checked against the server before anything is uploaded.
 * - argv is world-readable (`ps`), so the password travels in PGPASSWORD and
 *   the URL we pass carries none. Every message from these programs is scrubbed
 *   of the connection string and password before it goes anywhere.
 */
import { execFile, spawnSync } from "node:child_process";
import { existsSync, readdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { redactSecrets } from "../lib/redact";

export type PgProgram = "pg_dump" | "pg_restore" | "psql";

/** A client program and its major version. */
export interface PgBinary {
  path: string;
  major: number;
  /** `pg_dump (PostgreSQL) 15.18 …` as the binary printed it. */
  version: string;
}

/** The error every "cannot back up here" case raises: a message safe to print, and what to do. */
export class BackupSetupError extends Error {
  constructor(
    message: string,
    readonly fix: string,
    /** Stable id for findings and tests, e.g. `require-pg-dump`. */
    readonly id: string,
  ) {
    super(`${message} Fix: ${fix}`);
    this.name = "BackupSetupError";
  }
}

function installHint(program: PgProgram, major?: number): string {
  const pkg = major ? `postgresql-client-${major}` : "postgresql-client";
  return (
    `install the Postgres client${major ? ` ${major} or newer` : ""}: 'sudo apt-get install -y ${pkg}' ` +
    `(Debian/Ubuntu; for versions newer than the distribution ships, add the PGDG repository: ` +
    `'sudo /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh'), 'brew install libpq' on macOS, ` +
    `or point PG_BIN at a directory holding ${program}`
  );
}

function parseVersion(path: string, stdout: string): PgBinary | undefined {
  const major = Number(/\b(\d+)(?:\.\d+)?/.exec(stdout)?.[1]);
  return Number.isInteger(major) ? { path, major, version: stdout.trim() } : undefined;
}

/**
 * The copies of `program` worth asking for their version: $PG_BIN, Debian's per-major
 * directories, then PATH. Each distinct program is listed once (`--version` costs a process
 * start; /bin and /usr/bin are often one directory). Debian's /usr/bin/pg_dump is pg_wrapper,
 * a Perl script that runs one of the per-major binaries already listed: asking it adds ~50 ms
 * to every backup and finds nothing new, so it is asked only when no per-major binary exists.
 */
function candidatePaths(program: PgProgram, env: NodeJS.ProcessEnv): string[] {
  const dirs: string[] = [];
  if (env.PG_BIN) dirs.push(env.PG_BIN);
  const debian = "/usr/lib/postgresql";
  if (!env.PG_BIN && existsSync(debian))
    for (const entry of readdirSync(debian)) dirs.push(join(debian, entry, "bin"));
  if (!env.PG_BIN) dirs.push(...(env.PATH ?? "").split(":").filter(Boolean));
  const paths: string[] = [];
  const seen = new Set<string>();
  let debianListed = false;
  for (const dir of dirs) {
    const path = join(dir, program);
    if (!existsSync(path)) continue;
    const real = realpathSync(path);
    if (seen.has(real)) continue;
    seen.add(real);
    if (debianListed && real.endsWith("/postgresql-common/pg_wrapper")) continue;
    paths.push(path);
    if (path.startsWith(`${debian}/`)) debianListed = true;
  }
  return paths;
}

const newestFirst = (found: (PgBinary | undefined)[]): PgBinary[] =>
  found.filter((b): b is PgBinary => b !== undefined).sort((a, b) => b.major - a.major);

/** Every installed copy of `program` that answers `--version`, newest first. */
export function findPgBinaries(
  program: PgProgram,
  env: NodeJS.ProcessEnv = process.env,
): PgBinary[] {
  return newestFirst(
    candidatePaths(program, env).map((path) => {
      const out = spawnSync(path, ["--version"], { encoding: "utf8" });
      return out.status === 0 ? parseVersion(path, out.stdout) : undefined;
    }),
  );
}

/**
 * findPgBinaries without blocking: the copies are asked at once, so a backup asks
 * while it connects to the database instead of before (each ask is a process start).
 */
export async function findPgBinariesAsync(
  program: PgProgram,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PgBinary[]> {
  return newestFirst(
    await Promise.all(
      candidatePaths(program, env).map(
        (path) =>
          new Promise<PgBinary | undefined>((resolve) =>
            execFile(path, ["--version"], { encoding: "utf8" }, (error, stdout) =>
              resolve(error ? undefined : parseVersion(path, stdout)),
            ),
          ),
      ),
    ),
  );
}

/**
 * The newest `program`, which must be at least `serverMajor` when given.
 * Throws a BackupSetupError that says how to install one.
 */
export function requirePgBinary(
  program: PgProgram,
  serverMajor?: number,
  env: NodeJS.ProcessEnv = process.env,
): PgBinary {
  return pickPgBinary(findPgBinaries(program, env), program, serverMajor, env);
}

/** The newest of `found` (as findPgBinaries lists them), checked as requirePgBinary checks it. */
export function pickPgBinary(
  found: readonly PgBinary[],
  program: PgProgram,
  serverMajor?: number,
  env: NodeJS.ProcessEnv = process.env,
): PgBinary {
  const where = env.PG_BIN ? `in PG_BIN (${env.PG_BIN})` : "on this machine";
  if (found.length === 0)
    throw new BackupSetupError(
      `${program} was not found ${where}.`,
      installHint(program, serverMajor),
      `require-${program.replace("_", "-")}`,
    );
  const best = found[0]!;
  if (serverMajor !== undefined && best.major < serverMajor)
    throw new BackupSetupError(
      `${program} ${best.major} (${best.path}) is older than the server, which runs Postgres ${serverMajor}; ` +
        `${program} must be at least the server's major version.`,
      installHint(program, serverMajor),
      "require-client-at-least-server-major",
    );
  return best;
}

/** A validated connection: what to pass on argv (no password) and in the environment. */
export interface PgConnection {
  /** `postgres://user@host:port/db?…` without the password: safe for argv and messages. */
  dbnameArg: string;
  env: Record<string, string>;
  /** host:port/db, for messages. */
  target: string;
  database: string;
  /** Every form of the secret parts, for scrubbing. */
  secrets: string[];
}

/**
 * Check a connection string's shape (scheme, host, database) and split off
 * its password. The message never repeats the string: it may hold a password.
 *
 * This is the minimum this area needs; the shared connection-string
 * validation replaces it once it lands.
 */
export function parseConnection(url: string, source = "the connection string"): PgConnection {
  const fix =
    "use postgres://USER:PASSWORD@HOST:5432/DATABASE (percent-encode special characters in the password, " +
    "e.g. '@' as %40, '#' as %23, '/' as %2F)";
  if (!/^postgres(ql)?:\/\//.test(url))
    throw new BackupSetupError(
      `${source} must start with postgres:// or postgresql://.`,
      fix,
      "require-valid-connection-string",
    );
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BackupSetupError(
      `${source} is not a valid URL (often an unencoded '#', '@' or '/' in the password).`,
      fix,
      "require-valid-connection-string",
    );
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (!parsed.hostname || !database || database.includes("/"))
    throw new BackupSetupError(
      `${source} needs a host and a database name.`,
      fix,
      "require-valid-connection-string",
    );
  const password = decodeURIComponent(parsed.password);
  const secrets = [url, parsed.password, password].filter((s) => s.length > 0);
  const env: Record<string, string> = {};
  if (password) env.PGPASSWORD = password;
  const safe = new URL(url);
  safe.password = "";
  // libpq reads the password from the query string too; it must not reach argv.
  for (const key of [...safe.searchParams.keys()])
    if (key.toLowerCase() === "password") {
      env.PGPASSWORD = safe.searchParams.get(key)!;
      secrets.push(env.PGPASSWORD);
      safe.searchParams.delete(key);
    }
  return {
    dbnameArg: safe.toString(),
    env,
    target: `${parsed.hostname}${parsed.port ? `:${parsed.port}` : ""}/${database}`,
    database,
    secrets,
  };
}

/** Scrub a client program's message of every form of the connection's secrets. */
export function scrubPg(message: string, connection: PgConnection): string {
  return redactSecrets(message, connection.secrets);
}

/** The environment a client program runs in: ours, minus any other PG* credentials, plus this connection's. */
export function pgEnv(connection: PgConnection, base: NodeJS.ProcessEnv = process.env) {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!/^PG(?!_BIN)/.test(k)) env[k] = v;
  return { ...env, ...connection.env, PGAPPNAME: "runbooks-backup", PGCONNECT_TIMEOUT: "15" };
}
