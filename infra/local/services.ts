/**
 * The `local` stack's services: Postgres, MinIO and the stand-in app, kept
 * running between `npm run local` invocations so a re-run is a no-op update.
 * Their addresses and generated credentials live in .local/services.json
 * (gitignored, mode 0600); ports are picked the first time and reused.
 */
import { spawn } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join, relative } from "node:path";
import { CreateBucketCommand, HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { Client } from "pg";
import {
  serverCanReach,
  startPostgres,
  stopCluster,
  withDatabase,
  TEMPLATE_DATABASE,
} from "./postgres";
import { freePort } from "./ports";
import { startS3 } from "./s3";
import { LOCAL_DIR, REPO_ROOT } from "../lib/paths";
import { readStackConfig } from "../config/stack-file";
import { groupRoleDeclaration, groupRoleSql } from "../rotation/postgres-roles";
import { SAAS_STATE_FILE, type LocalSaasInfo } from "./saas";

export const LOCAL_DATABASE = "runbooks_local";
export const LOCAL_BUCKET = "runbooks-local-backups";

export interface LocalServices {
  postgres: { port: number; adminUrl: string; databaseUrl: string; dataDir: string };
  s3: {
    port: number;
    endpoint: string;
    accessKeyId: string;
    secretAccessKey: string;
    pid?: number;
    dataDir: string;
  };
  app: { port: number; url: string; pid?: number; envFile: string };
  /** The Vercel, GitHub and Supabase stand-ins (tokens are secrets: the file is 0600). */
  saas?: LocalSaasInfo & { pid?: number };
}

const stateFile = join(LOCAL_DIR, "services.json");

function readState(): Partial<LocalServices> {
  if (!existsSync(stateFile)) return {};
  return JSON.parse(readFileSync(stateFile, "utf8")) as Partial<LocalServices>;
}

function writeState(state: Partial<LocalServices>): void {
  mkdirSync(LOCAL_DIR, { recursive: true });
  writeFileSync(stateFile, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function portFor(previous: number | undefined): Promise<number> {
  if (previous && !(await isListening(previous))) return previous;
  return freePort();
}

/**
 * Where the local cluster lives: in the checkout, unless the server's OS user
 * cannot enter it (a checkout under /root when we run as root); then in
 * /var/tmp, keyed by the checkout so two checkouts never share a cluster.
 */
function localPostgresDir(): string {
  mkdirSync(LOCAL_DIR, { recursive: true });
  if (serverCanReach(LOCAL_DIR)) return join(LOCAL_DIR, "postgres");
  const id = createHash("sha256").update(REPO_ROOT).digest("hex").slice(0, 12);
  return join("/var/tmp", `runbooks-local-postgres-${id}`);
}

async function ensurePostgres(
  state: Partial<LocalServices>,
  log: (l: string) => void,
): Promise<LocalServices["postgres"]> {
  const previous = state.postgres;
  const dataDir = previous?.dataDir ?? localPostgresDir();
  if (previous && (await isListening(previous.port))) {
    return previous;
  }
  const port = await portFor(previous?.port);
  const shown = dataDir.startsWith(REPO_ROOT) ? relative(REPO_ROOT, dataDir) : dataDir;
  log(`starting Postgres on 127.0.0.1:${port} (data in ${shown})`);
  const server = await startPostgres({ dataDir, port, removeOnStop: false });
  return {
    port,
    adminUrl: server.adminUrl,
    databaseUrl: withDatabase(server.adminUrl, LOCAL_DATABASE),
    dataDir,
  };
}

/** The app's database, from the Supabase-like template, with the app's own migrations applied once. */
async function ensureLocalDatabase(adminUrl: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const exists = await admin.query("select 1 from pg_database where datname = $1", [
      LOCAL_DATABASE,
    ]);
    if (exists.rowCount === 0)
      await admin.query(`create database ${LOCAL_DATABASE} template ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const schemaFile = join(REPO_ROOT, "infra", "local", "example-app", "schema.sql");
  if (!existsSync(schemaFile)) return;
  const db = new Client({ connectionString: withDatabase(adminUrl, LOCAL_DATABASE) });
  await db.connect();
  try {
    // The schema file is idempotent (create … if not exists), like a migration runner would make it.
    await db.query(readFileSync(schemaFile, "utf8"));
  } finally {
    await db.end();
  }
}

async function ensureS3(
  state: Partial<LocalServices>,
  log: (l: string) => void,
): Promise<LocalServices["s3"]> {
  const dataDir = join(LOCAL_DIR, "s3");
  const previous = state.s3;
  if (previous && isAlive(previous.pid) && (await isListening(previous.port))) return previous;
  const port = await portFor(previous?.port);
  log(`starting MinIO on 127.0.0.1:${port} (data in .local/s3)`);
  const server = await startS3({
    dataDir,
    port,
    detached: true,
    accessKeyId: previous?.accessKeyId,
    secretAccessKey: previous?.secretAccessKey,
  });
  const s3 = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  try {
    await s3
      .send(new HeadBucketCommand({ Bucket: LOCAL_BUCKET }))
      .catch(() => s3.send(new CreateBucketCommand({ Bucket: LOCAL_BUCKET })));
  } finally {
    s3.destroy();
  }
  return {
    port,
    endpoint: server.endpoint,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    pid: server.pid,
    dataDir,
  };
}

/**
 * The SaaS stand-ins and the app behind them (infra/local/saas.ts), one
 * long-lived process: a redeploy through the Vercel stand-in starts the app
 * with the project's current variables, as Vercel would.
 */
async function ensureSaas(
  state: Partial<LocalServices>,
  databaseUrl: string,
  log: (l: string) => void,
): Promise<{ app: LocalServices["app"]; saas: LocalSaasInfo }> {
  const previous = state.app;
  const known = existsSync(SAAS_STATE_FILE)
    ? (JSON.parse(readFileSync(SAAS_STATE_FILE, "utf8")) as LocalSaasInfo & { pid: number })
    : undefined;
  if (previous && known && isAlive(known.pid) && (await isListening(previous.port)))
    return { app: previous, saas: known };
  const port = await portFor(previous?.port);
  log(
    `starting the Vercel, GitHub and Supabase stand-ins and the app on http://127.0.0.1:${port} (GET /api/health)`,
  );
  rmSync(SAAS_STATE_FILE, { force: true });
  const logFd = openSync(join(LOCAL_DIR, "saas.log"), "a");
  // tsx runs the file in a child of the process spawned here, so the pid it
  // records is not child.pid: this launch's own token tells its state file
  // from an earlier run's.
  const launch = randomUUID();
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs"),
      join(REPO_ROOT, "infra", "local", "saas.ts"),
    ],
    {
      // The owner URL travels in the environment, never in argv (ps shows argv).
      env: {
        PATH: process.env.PATH,
        RUNBOOKS_LOCAL_DATABASE_URL: databaseUrl,
        RUNBOOKS_LOCAL_APP_PORT: String(port),
        RUNBOOKS_LOCAL_SAAS_LAUNCH: launch,
      },
      stdio: ["ignore", logFd, logFd],
      detached: true,
      cwd: REPO_ROOT,
    },
  );
  child.unref();
  // Starting means compiling the stand-ins with tsx: seconds on an idle
  // machine, more than 30 s on a loaded one. A child that dies fails at once.
  let exited: number | null | undefined;
  child.once("exit", (code) => (exited = code));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (existsSync(SAAS_STATE_FILE)) {
      const info = JSON.parse(readFileSync(SAAS_STATE_FILE, "utf8")) as LocalSaasInfo & {
        pid: number;
        launch?: string;
      };
      if (info.launch === launch)
        return { app: { port, url: info.appUrl, pid: info.pid, envFile: "" }, saas: info };
    }
    if (exited !== undefined)
      throw new Error(
        `the SaaS stand-ins exited (code ${exited}) before starting; see .local/saas.log`,
      );
    if (Date.now() > deadline)
      throw new Error("the SaaS stand-ins did not start within 120 s; see .local/saas.log");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The group roles the local stack's postgres-login credentials need, from the same declaration as other stacks. */
async function ensureRotationRoles(databaseUrl: string): Promise<void> {
  const { config } = readStackConfig({ stack: "local" });
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    for (const c of config.rotation.credentials)
      if (c.kind === "postgres-login")
        await db.query(groupRoleSql(groupRoleDeclaration(c), "postgres"));
  } finally {
    await db.end();
  }
}

/** Start (or find running) every local service. */
export async function ensureLocalServices(log: (line: string) => void): Promise<LocalServices> {
  const state = readState();
  const postgres = await ensurePostgres(state, log);
  await ensureLocalDatabase(postgres.adminUrl);
  writeState({ ...state, postgres });
  const s3 = await ensureS3(state, log);
  writeState({ ...state, postgres, s3 });
  await ensureRotationRoles(postgres.databaseUrl);
  const { app, saas } = await ensureSaas(state, postgres.databaseUrl, log);
  const services = { postgres, s3, app, saas };
  writeState(services);
  return services;
}

/** Stop every local service; with `purge`, delete their data too. */
export async function stopLocalServices(
  log: (line: string) => void,
  { purge = false } = {},
): Promise<void> {
  const state = readState();
  for (const [name, pid] of [
    ["app", state.app?.pid],
    ["MinIO", state.s3?.pid],
  ] as const) {
    if (isAlive(pid)) {
      log(`stopping ${name} (pid ${pid})`);
      process.kill(pid!, "SIGTERM");
    }
  }
  if (state.postgres && (await stopCluster(state.postgres.dataDir))) log("stopped Postgres");
  if (purge) {
    if (state.postgres) rmSync(state.postgres.dataDir, { recursive: true, force: true });
    for (const dir of [
      "postgres",
      "s3",
      "app.env",
      "app.log",
      "saas.log",
      "saas.json",
      "rotation-audit.jsonl",
      "services.json",
    ])
      rmSync(join(LOCAL_DIR, dir), { recursive: true, force: true });
    log("removed local service data (.local/)");
  } else {
    writeState({
      ...state,
      s3: state.s3 && { ...state.s3, pid: undefined },
      app: state.app && { ...state.app, pid: undefined },
    });
  }
}
