/**
 * A real, throwaway PostgreSQL cluster on loopback.
 *
 * initdb refuses to run as root, so when we are root the cluster directory is
 * handed to the `postgres` system user and every server binary runs as it.
 * The server listens on 127.0.0.1 on a port picked at run time, keeps its
 * socket inside the cluster directory, and preloads pg_stat_statements like
 * Supabase does.
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Client } from "pg";
import { freePort } from "./ports";
import { SUPABASE_BASELINE_SQL } from "./supabase-baseline";

const execFileAsync = promisify(execFile);

export const TEMPLATE_DATABASE = "runbooks_template";
const MIN_MAJOR = 15;

export interface PostgresServer {
  /** Superuser connection string to the `postgres` database. */
  adminUrl: string;
  host: string;
  port: number;
  user: string;
  password: string;
  /** Cluster directory, or undefined for an external server. */
  dataDir?: string;
  /** Server major version. */
  major: number;
  /** true when DATABASE_URL pointed us at an existing server. */
  external: boolean;
  stop(): Promise<void>;
}

export class MissingBinaryError extends Error {
  constructor(binary: string, fix: string) {
    super(`${binary} was not found. ${fix}`);
    this.name = "MissingBinaryError";
  }
}

/** Find the bin directory of the newest installed PostgreSQL ≥ 15. */
export function findPostgresBinDir(): { binDir: string; major: number } {
  const candidates: { binDir: string; major: number }[] = [];
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    for (const entry of readdirSync(root)) {
      const major = Number(entry);
      const binDir = join(root, entry, "bin");
      if (Number.isInteger(major) && existsSync(join(binDir, "initdb")))
        candidates.push({ binDir, major });
    }
  }
  const pgConfig = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  if (pgConfig.status === 0) {
    const binDir = pgConfig.stdout.trim();
    const version = spawnSync(join(binDir, "postgres"), ["--version"], { encoding: "utf8" });
    const major = Number(/(\d+)/.exec(version.stdout ?? "")?.[1]);
    if (existsSync(join(binDir, "initdb")) && Number.isInteger(major))
      candidates.push({ binDir, major });
  }
  const best = candidates.filter((c) => c.major >= MIN_MAJOR).sort((a, b) => b.major - a.major)[0];
  if (!best) {
    throw new MissingBinaryError(
      `PostgreSQL ${MIN_MAJOR}+ server binaries (initdb, pg_ctl, postgres)`,
      "Run `npm run setup` (installs Debian's postgresql, postgresql-contrib and postgresql-client when run as root), " +
        "or install them yourself: `sudo apt-get install -y postgresql postgresql-contrib postgresql-client`. " +
        "Alternatively set DATABASE_URL to an existing superuser connection string.",
    );
  }
  return best;
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error(
      "Running as root but there is no `postgres` user to run initdb as; install Debian's postgresql package (npm run setup).",
    );
  }
  return { uid, gid };
}

/**
 * Whether the server's OS user can enter `dir`. As root, initdb and postgres
 * run as `postgres`, which cannot reach a directory under a private home
 * such as /root.
 */
export function serverCanReach(dir: string): boolean {
  const owner = postgresUser();
  if (!owner) return true;
  return spawnSync("test", ["-x", dir], { ...owner }).status === 0;
}

function chownRecursive(path: string, owner: { uid: number; gid: number }): void {
  execFileSync("chown", ["-R", `${owner.uid}:${owner.gid}`, path]);
}

export interface StartPostgresOptions {
  /** Keep the cluster in this directory (created if missing) instead of a temp dir. */
  dataDir?: string;
  /** Use this port instead of a free one. */
  port?: number;
  /** Remove the cluster directory on stop (default: true for temp dirs). */
  removeOnStop?: boolean;
}

/**
 * Start a cluster (or reuse DATABASE_URL) and make sure the Supabase-like
 * template database exists.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const external = process.env.DATABASE_URL;
  if (external) {
    const server = await useExternal(external);
    await ensureTemplate(server.adminUrl);
    return server;
  }
  const { binDir, major } = findPostgresBinDir();
  const owner = postgresUser();
  const dataRoot = options.dataDir ?? mkdtempSync(join(tmpdir(), "runbooks-pg-"));
  const removeOnStop = options.removeOnStop ?? options.dataDir === undefined;
  mkdirSync(dataRoot, { recursive: true });
  const dataDir = join(dataRoot, "data");
  const socketDir = join(dataRoot, "socket");
  const passwordFile = join(dataRoot, "pwfile");
  const user = "postgres";
  let password: string;
  const fresh = !existsSync(join(dataDir, "PG_VERSION"));
  if (fresh) {
    password = randomBytes(18).toString("base64url");
    writeFileSync(passwordFile, password, { mode: 0o600 });
    mkdirSync(socketDir, { recursive: true });
    if (owner) chownRecursive(dataRoot, owner);
    await execFileAsync(
      join(binDir, "initdb"),
      [
        "-D",
        dataDir,
        "-U",
        user,
        `--pwfile=${passwordFile}`,
        "--auth-local=scram-sha-256",
        "--auth-host=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
      ],
      { ...(owner ?? {}) },
    );
  } else {
    password = readFileSync(passwordFile, "utf8").trim();
  }
  const port = options.port ?? (await freePort());
  const serverOptions = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${socketDir}`,
    "-c shared_preload_libraries=pg_stat_statements",
    "-c pg_stat_statements.track=all",
    // Throwaway clusters: durability is not the point, speed is.
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    "-c max_connections=200",
  ].join(" ");
  if (owner) chownRecursive(dataRoot, owner);
  await execFileAsync(
    join(binDir, "pg_ctl"),
    [
      "-D",
      dataDir,
      "-l",
      join(dataRoot, "server.log"),
      "-o",
      serverOptions,
      "-w",
      "-t",
      "60",
      "start",
    ],
    {
      ...(owner ?? {}),
    },
  );
  const adminUrl = `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  await ensureTemplate(adminUrl);
  return {
    adminUrl,
    host: "127.0.0.1",
    port,
    user,
    password,
    dataDir: dataRoot,
    major,
    external: false,
    async stop() {
      await stopCluster(dataRoot);
      if (removeOnStop) rmSync(dataRoot, { recursive: true, force: true });
    },
  };
}

/**
 * Stop a cluster that `startPostgres` created in `dataRoot`, as its owner,
 * whichever process started it; a cluster that is not running is left alone.
 */
export async function stopCluster(dataRoot: string): Promise<boolean> {
  const dataDir = join(dataRoot, "data");
  if (!existsSync(join(dataDir, "postmaster.pid"))) return false;
  const { binDir } = findPostgresBinDir();
  await execFileAsync(join(binDir, "pg_ctl"), ["-D", dataDir, "-m", "fast", "-w", "stop"], {
    ...(postgresUser() ?? {}),
  }).catch(() => undefined);
  return true;
}

async function useExternal(url: string): Promise<PostgresServer> {
  const parsed = new URL(url);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string; su: boolean }>(
      "select current_setting('server_version_num') as v, (select rolsuper from pg_roles where rolname = current_user) as su",
    );
    const major = Math.floor(Number(rows[0]!.v) / 10000);
    if (!rows[0]!.su)
      throw new Error(
        "DATABASE_URL must connect as a superuser: the harness creates roles and databases.",
      );
    return {
      adminUrl: url,
      host: parsed.hostname,
      port: Number(parsed.port || 5432),
      user: decodeURIComponent(parsed.username),
      password: decodeURIComponent(parsed.password),
      major,
      external: true,
      async stop() {},
    };
  } finally {
    await client.end();
  }
}

/** Create the template database with the Supabase-like baseline, once per server. */
async function ensureTemplate(adminUrl: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // Concurrent harnesses on one external server must not race to create it.
    await admin.query("select pg_advisory_lock(hashtext('runbooks_template'))");
    const exists = await admin.query("select 1 from pg_database where datname = $1", [
      TEMPLATE_DATABASE,
    ]);
    if (exists.rowCount === 0) {
      await admin.query(SUPABASE_ROLES_SQL);
      await admin.query(`create database ${TEMPLATE_DATABASE}`);
      const template = new Client({ connectionString: withDatabase(adminUrl, TEMPLATE_DATABASE) });
      await template.connect();
      try {
        await template.query(SUPABASE_BASELINE_SQL);
      } finally {
        await template.end();
      }
      await admin.query(`alter database ${TEMPLATE_DATABASE} with is_template true`);
    }
    await admin.query("select pg_advisory_unlock(hashtext('runbooks_template'))");
  } finally {
    await admin.end();
  }
}

/** Cluster-wide roles exist once per server; databases share them. */
const SUPABASE_ROLES_SQL = `
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then create role anon nologin noinherit; end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then create role authenticated nologin noinherit; end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then create role service_role nologin noinherit bypassrls; end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then create role authenticator login noinherit; end if;
  grant anon, authenticated, service_role to authenticator;
end
$$;
`;

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

let counter = 0;

/** A fresh database cloned from the template; drop it with the returned function. */
export async function createTestDatabase(
  adminUrl: string,
  prefix = "t",
): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_");
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(adminUrl, name),
    async drop() {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
