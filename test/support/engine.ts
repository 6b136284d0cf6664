/**
 * End-to-end helpers: the real Pulumi engine (the CLI this repository builds,
 * driven through the Automation API) running the repository's program against
 * the harness's Postgres.
 *
 * Every `E2eStack` is a world of its own, so test files can run in parallel
 * and two test runs can share a machine:
 * - a temp project directory whose Pulumi.yaml is the repository's with
 *   `main` and `tsconfig` made absolute and no `stackConfigDir`, so the CLI and
 *   LocalWorkspace write stack settings there and never into stacks/;
 * - a temp file backend, a temp PULUMI_HOME and a random passphrase;
 * - a fresh database with the example app's schema whose tables belong to a
 *   login role created for this stack alone, with a random password: a leak of
 *   that password (or of the URL carrying it) can only come from this stack.
 *
 * The stack is named `local` on purpose: the program picks the RLS tables it
 * declares in code by stack name (RLS_TABLES_IN_CODE in infra/database.ts), and
 * the point is to run what `npm run local` runs. Isolation comes from the
 * per-stack backend, not from the name.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import {
  LocalWorkspace,
  PulumiCommand,
  Stack,
  type DestroyOptions,
  type DestroyResult,
  type EngineEvent,
  type PreviewOptions,
  type PreviewResult,
  type RefreshOptions,
  type RefreshResult,
  type UpOptions,
  type UpResult,
} from "@pulumi/pulumi/automation";
import { Client } from "pg";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { readStackFileValues } from "../../infra/config/stack-file";
import { APP_SCHEMA_SQL_PATH } from "../../infra/local/example-app/rls";
import { ensurePulumiCli, pulumiEnv } from "../../infra/tools/pulumi-cli";
import { repairInterruptedCheckpoints } from "../../infra/local/state-repair";
import { REPO_ROOT } from "../../infra/lib/paths";
import { createTestDatabase, withDatabase } from "../../infra/local/postgres";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { LOCAL_BUCKET } from "../../infra/local/services";
import { services } from "./services";
import { readStackConfig } from "../../infra/config/stack-file";
import { localRotationSettings, startLocalSaas, type LocalSaas } from "../../infra/local/saas";
import {
  groupRoleDeclaration,
  groupRoleSql,
  type GroupRoleDeclaration,
} from "../../infra/rotation/postgres-roles";

/** The local stack's bucket on the harness's S3 server (what `npm run local` creates). */
export async function ensureBucket(name: string): Promise<void> {
  const s = services().s3;
  const s3 = new S3Client({
    endpoint: s.endpoint,
    region: s.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
  });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: name }));
  } catch (error) {
    if (!/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test((error as Error).name)) throw error;
  } finally {
    s3.destroy();
  }
}

/** The stack whose program `npm run local` runs; see the module comment for why the name is fixed. */
export const E2E_STACK = "local";
/** Dynamic-resource type of one RLS table (`pulumi-nodejs:dynamic/<module>:<type>`). */
export const RLS_TABLE_TYPE = "pulumi-nodejs:dynamic/runbooks-postgres:RlsTable";

export interface AppDatabase {
  name: string;
  /** What the stack gets as `databaseUrl`: the owner role, with its password. Secret. */
  url: string;
  ownerRole: string;
  /** The owner role's password. Secret. */
  password: string;
  /** Run SQL as the harness superuser on a short-lived connection. */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** One engine operation's wall time, for the report. */
export interface EngineTiming {
  op: string;
  seconds: number;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temp project, backend and database: what every e2e suite runs in. */
export interface E2eProject {
  label: string;
  /** Temp root holding the project directory, the backend and PULUMI_HOME. */
  root: string;
  workDir: string;
  backendDir: string;
  db: AppDatabase;
  /** Environment every engine run gets (passphrase included: pass it only to children). */
  env: Record<string, string>;
  /** Every value that must never appear in state, config files or output. */
  secretValues: string[];
  timings: EngineTiming[];
  /** Everything the engine printed or reported so far: stdout, stderr, events, summaries. */
  captured(): string;
  /** Add engine output to `captured()`. */
  record(...chunks: string[]): void;
  /** Run `run`, logging and recording its wall time as `op`. */
  timed<T>(op: string, run: () => Promise<T>): Promise<T>;
  /** Run the CLI in workDir (captured and timed); `stdin` feeds secrets without argv. */
  cli(args: string[], options?: { stdin?: string; op?: string }): Promise<CliResult>;
  /**
   * Start the CLI in workDir in a process group of its own (so a test can
   * stop or kill the engine and every plugin it started) without waiting.
   */
  startCli(args: string[]): { child: ChildProcess; done: Promise<CliResult> };
  /** Text of every file in the backend directory (gzip-decoded), by relative path. */
  backendFiles(): Map<string, string>;
  /**
   * After a test kills the engine: the README's recovery step for a kill that
   * landed while the backend was writing a checkpoint (an empty `.attrs`, then
   * `failed to load checkpoint: EOF`), as `npm run local` does. Returns what
   * it removed; a kill between writes leaves nothing to remove.
   */
  repairAfterKill(): string[];
  dispose(): Promise<void>;
}

export interface E2eProjectOptions {
  /**
   * Keep the project's `stackConfigDir` and give it a copy of the committed
   * stacks/ files, as the repository has them (for driving the CLI the way
   * `npm run local` does). Default: no stackConfigDir, stack files in workDir.
   */
  stacksCopy?: boolean;
  /** Default: a random one. */
  passphrase?: string;
}

/** An `E2eProject` with the `local` stack created and configured through the Automation API. */
export interface E2eStackOptions {
  /**
   * Run the local stack's rotation: start the SaaS stand-ins in this process,
   * create the stack's group role (named for this stack alone: roles are
   * cluster-wide) and point the rotation at them. Off by default: suites about
   * other areas run the local stack with features.rotation off.
   */
  rotation?: boolean;
  /**
   * Keep the local stack's BackupJob (default). Suites about the RLS provider's
   * own engine behaviour (lock failures, exact update counts, pre-layout
   * state) turn it off: with it on, every RLS change also takes a backup first,
   * which test/e2e/backups.test.ts covers.
   */
  backups?: boolean;
}

/** What a rotation-enabled E2eStack adds. */
export interface E2eRotation {
  saas: LocalSaas;
  /** The group role and its two logins, unique to this stack. */
  roles: GroupRoleDeclaration;
  auditFile: string;
}

export interface E2eStack extends E2eProject {
  rotation?: E2eRotation;
  stackName: string;
  /** `Pulumi.<stack>.yaml` in workDir: the run-time copy of stacks/Pulumi.local.yaml. */
  configFile: string;
  stack: Stack;
  /** Engine events of the most recent preview/up/refresh/destroy. */
  lastEvents(): EngineEvent[];
  preview(opts?: PreviewOptions): Promise<PreviewResult>;
  up(opts?: UpOptions): Promise<UpResult>;
  refresh(opts?: RefreshOptions): Promise<RefreshResult>;
  destroy(opts?: DestroyOptions): Promise<DestroyResult>;
  /**
   * The RLS table resources in the current state, keyed by `schema.table`.
   * Read through `Stack.exportStack()`, which decrypts (`stack export
   * --show-secrets`): for assertions on values, never for printing.
   */
  rlsResources(): Promise<Map<string, StateResource>>;
  /** `pulumi stack export` without --show-secrets: the state as the backend stores it. */
  storedExport(): Promise<{ text: string; resources: StateResource[] }>;
}

export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

/** Plain output, without progress dots to wade through. */
const QUIET = { color: "never", suppressProgress: true } as const;
/**
 * The Automation API (3.248.0) fetches each operation's summary with
 * `stack history --show-secrets` unless `showSecrets: false` is passed
 * explicitly (stack.js: `info(opts?.showSecrets)` → `history`'s
 * `showSecrets ?? true`), so `result.summary.config` would hold every secret
 * config value in plain text, ready to be logged by accident.
 */
const NO_SECRETS = { showSecrets: false } as const;

/**
 * A temp project directory (the repository's program), its own file backend,
 * PULUMI_HOME and passphrase, and a fresh app database owned by a new role.
 */
export async function createE2eProject(
  label: string,
  options: E2eProjectOptions = {},
): Promise<E2eProject> {
  const cli = await ensurePulumiCli({ quiet: true });
  const root = mkdtempSync(join(tmpdir(), `runbooks-e2e-${label}-`));
  const workDir = join(root, "project");
  const backendDir = join(root, "state");
  const pulumiHome = join(root, "pulumi-home");
  for (const dir of [workDir, backendDir, pulumiHome]) mkdirSync(dir, { recursive: true });
  writeProject(workDir, options.stacksCopy ?? false);

  let db: AppDatabase;
  try {
    db = await createAppDatabase(label);
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const passphrase = options.passphrase ?? randomBytes(18).toString("base64url");
  const env = cleanEnv(
    pulumiEnv({
      ...process.env,
      PULUMI_BACKEND_URL: `file://${backendDir}`,
      PULUMI_HOME: pulumiHome,
      PULUMI_CONFIG_PASSPHRASE: passphrase,
      PULUMI_SKIP_UPDATE_CHECK: "1",
      // ts-node would type-check the whole program on every run; `npm run
      // type-check` already does that, so transpile only (cmd/run honours it).
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
      // The aws/github/vercel plugins are not installed and the local stack
      // registers none of their resources; don't try to download them.
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    }),
  );
  // Config must come from the stack's file only, never from the caller's environment.
  delete env.PULUMI_CONFIG;

  const chunks: string[] = [];
  const timings: EngineTiming[] = [];
  const timed = async <T>(op: string, run: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await run();
    } finally {
      const seconds = (Date.now() - started) / 1000;
      timings.push({ op, seconds });
      console.log(`[e2e:${label}] ${op}: ${seconds.toFixed(1)} s`);
    }
  };

  const admin = new URL(services().postgres.adminUrl);
  const project: E2eProject = {
    label,
    root,
    workDir,
    backendDir,
    db,
    env,
    secretValues: [
      services().s3.secretAccessKey,
      db.password,
      encodeURIComponent(db.password),
      db.url,
      passphrase,
      decodeURIComponent(admin.password),
    ],
    timings,
    captured: () => chunks.join("\n"),
    record: (...more) => void chunks.push(...more),
    timed,
    cli: async (args, opts = {}) => {
      const result = await timed(opts.op ?? `pulumi ${args[0]}`, () =>
        spawnCli(cli.bin, args, workDir, env, opts.stdin),
      );
      chunks.push(result.stdout, result.stderr);
      return result;
    },
    startCli: (args) => {
      const child = spawn(cli.bin, [...args, "--non-interactive"], {
        cwd: workDir,
        env,
        detached: true,
      });
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
      child.stdin?.end();
      const done = new Promise<CliResult>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (code, signal) => {
          chunks.push(stdout, stderr);
          resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
        });
      });
      return { child, done };
    },
    backendFiles: () => readTree(backendDir),
    repairAfterKill: () => {
      const removed = repairInterruptedCheckpoints(backendDir);
      if (removed.length > 0)
        console.log(`[e2e:${label}] after the kill, removed ${removed.join(", ")}`);
      return removed;
    },
    async dispose() {
      const summary = timings.map((t) => `${t.op} ${t.seconds.toFixed(1)} s`).join(", ");
      console.log(`[e2e:${label}] engine timings: ${summary}`);
      await db.drop();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return project;
}

/**
 * An `E2eProject` plus the `local` stack, created through the Automation API
 * with its config: stacks/Pulumi.local.yaml's keys, `databaseUrl` as a secret
 * (through stdin, as `npm run local` does, never in argv) and `backup.endpoint`
 * pointing at the harness S3.
 */
export async function createE2eStack(
  label: string,
  options: E2eStackOptions = {},
): Promise<E2eStack> {
  const project = await createE2eProject(label);
  const { record: keep, timed } = project;
  const cli = await ensurePulumiCli({ quiet: true });
  const pulumiCommand = await PulumiCommand.get({
    root: dirname(cli.binDir),
    skipVersionCheck: true,
  });
  const workspace = await LocalWorkspace.create({
    workDir: project.workDir,
    pulumiHome: project.env.PULUMI_HOME,
    pulumiCommand,
    envVars: project.env,
    secretsProvider: "passphrase",
  });

  let events: EngineEvent[] = [];
  const stackName = E2E_STACK;
  const configFile = join(project.workDir, `Pulumi.${stackName}.yaml`);
  const capture = () => {
    events = [];
    return {
      onOutput: (s: string) => keep(s),
      onError: (s: string) => keep(s),
      onEvent: (e: EngineEvent) => {
        events.push(e);
        keep(JSON.stringify(e));
      },
    };
  };
  const record = <T extends { stdout: string; stderr: string }>(result: T): T => {
    keep(result.stdout, result.stderr, JSON.stringify(result));
    return result;
  };
  const recordFailure = (err: unknown): never => {
    keep(String(err), JSON.stringify(err));
    throw err;
  };

  let stack: Stack;
  let rotation: E2eRotation | undefined;
  try {
    stack = await timed("stack init", () => Stack.create(stackName, workspace));
    seedConfig(configFile, options.rotation ?? false, options.backups ?? true);
    const setSecret = await project.cli(
      ["config", "set", "--secret", "databaseUrl", "-s", stackName],
      { stdin: project.db.url, op: "config set --secret databaseUrl" },
    );
    if (setSecret.code !== 0) throw new Error(`config set --secret failed:\n${setSecret.stderr}`);
    const s3 = services().s3;
    for (const [key, value] of [
      ["localS3AccessKeyId", s3.accessKeyId],
      ["localS3SecretAccessKey", s3.secretAccessKey],
    ] as const) {
      const set = await project.cli(["config", "set", "--secret", key, "-s", stackName], {
        stdin: value,
        op: `config set --secret ${key}`,
      });
      if (set.code !== 0) throw new Error(`config set --secret ${key} failed:\n${set.stderr}`);
    }
    await ensureBucket(LOCAL_BUCKET);
    // Not secret, so the Automation API's setConfig (value in argv) is fine here.
    await stack.setConfig("backup.endpoint", { value: s3.endpoint }, true);
    // Each suite its own prefix: suites share the harness's bucket and run in parallel.
    await stack.setConfig(
      "backup.prefix",
      { value: `postgres/e2e-${label}-${randomBytes(3).toString("hex")}/` },
      true,
    );
    if (options.rotation) rotation = await prepareRotation(project, stack, stackName);
  } catch (err) {
    await rotation?.saas.stop();
    await project.dispose();
    throw err;
  }

  const disposeProject = project.dispose;
  return {
    ...project,
    rotation,
    async dispose() {
      await rotation?.saas.stop();
      // The database goes first: it holds the grants and default privileges that pin the roles.
      await disposeProject();
      if (rotation) await dropRoles(rotation.roles);
    },
    stackName,
    configFile,
    stack,
    lastEvents: () => events,
    preview: (opts) =>
      timed("preview", () =>
        stack.preview({ ...opts, ...QUIET, ...capture() }).then(record, recordFailure),
      ),
    up: (opts) =>
      timed("up", () => {
        // The caller's own onEvent (a command under test reading the engine's events) sees
        // every event too.
        const captured = capture();
        const onEvent = (event: EngineEvent) => {
          captured.onEvent(event);
          opts?.onEvent?.(event);
        };
        return stack
          .up({ ...opts, ...QUIET, ...NO_SECRETS, ...captured, onEvent })
          .then(record, recordFailure);
      }),
    refresh: (opts) =>
      timed("refresh", () =>
        stack
          .refresh({ ...opts, ...QUIET, ...NO_SECRETS, ...capture() })
          .then(record, recordFailure),
      ),
    destroy: (opts) =>
      timed("destroy", () =>
        stack
          .destroy({ ...opts, ...QUIET, ...NO_SECRETS, ...capture() })
          .then(record, recordFailure),
      ),
    async rlsResources() {
      const exported = await stack.exportStack();
      const resources = (exported.deployment as { resources?: StateResource[] }).resources ?? [];
      return new Map(
        resources
          .filter((r) => r.type === RLS_TABLE_TYPE)
          .map((r) => [r.id ?? `${String(r.outputs?.schema)}.${String(r.outputs?.table)}`, r]),
      );
    },
    async storedExport() {
      const result = await project.cli(["stack", "export", "-s", stackName], {
        op: "stack export",
      });
      if (result.code !== 0) throw new Error(`pulumi stack export failed:\n${result.stderr}`);
      const parsed = JSON.parse(result.stdout) as { deployment: { resources?: StateResource[] } };
      return { text: result.stdout, resources: parsed.deployment.resources ?? [] };
    },
  };
}

/** The repository's Pulumi.yaml, runnable from another directory. */
function writeProject(workDir: string, stacksCopy: boolean): void {
  const project = parseYaml(readFileSync(join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
    main?: string;
    stackConfigDir?: string;
    runtime: { name: string; options?: { tsconfig?: string } };
  };
  // Absolute `main` is accepted (engine/project.go joins only relative paths).
  // The program directory then is infra/, so node finds the repository's node_modules.
  project.main = join(REPO_ROOT, project.main ?? "index.ts");
  if (project.runtime.options?.tsconfig)
    project.runtime.options.tsconfig = join(REPO_ROOT, project.runtime.options.tsconfig);
  if (stacksCopy && project.stackConfigDir) {
    cpSync(join(REPO_ROOT, project.stackConfigDir), join(workDir, project.stackConfigDir), {
      recursive: true,
    });
  } else {
    delete project.stackConfigDir;
  }
  writeFileSync(join(workDir, "Pulumi.yaml"), stringifyYaml(project));
}

/** Copy the committed local stack's config into the stack file `stack init` just wrote. */
function seedConfig(configFile: string, rotation: boolean, backups: boolean): void {
  const committed = { config: readStackFileValues({ stack: E2E_STACK }).values };
  const features = committed.config["runbooks:features"] as Record<string, boolean>;
  committed.config["runbooks:features"] = {
    ...features,
    ...(rotation ? {} : { rotation: false }),
    ...(backups ? {} : { backups: false }),
  };
  const created = (parseYaml(readFileSync(configFile, "utf8")) ?? {}) as Record<string, unknown>;
  // Keep this stack's own encryptionsalt (its passphrase differs from the committed one).
  writeFileSync(configFile, stringifyYaml({ ...created, config: committed.config }));
}

/**
 * A fresh database with the app schema applied by the superuser (so Supabase's
 * default grants apply), then handed to a new login role, as on Supabase where
 * the `postgres` role owns the app's tables without being a superuser.
 */
async function createAppDatabase(label: string): Promise<AppDatabase> {
  const adminUrl = services().postgres.adminUrl;
  const created = await createTestDatabase(adminUrl, `e2e_${label}`);
  const adminDbUrl = created.url;
  const ownerRole = `e2e_owner_${randomBytes(6).toString("hex")}`;
  const password = randomBytes(24).toString("base64url");
  const sql = async <T>(text: string, params?: unknown[]): Promise<T[]> => {
    const client = new Client({ connectionString: adminDbUrl });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  };
  const dropRole = async () => {
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`drop role if exists ${ownerRole}`);
    } finally {
      await admin.end();
    }
  };
  const drop = async () => {
    await created.drop();
    await dropRole();
  };
  try {
    await sql(readFileSync(APP_SCHEMA_SQL_PATH, "utf8"));
    // The harness preloads pg_stat_statements, which would keep this statement's text.
    await sql(`set pg_stat_statements.track_utility = off;
      create role ${ownerRole} login password '${password}'`);
    await sql(`
    grant usage on schema auth to ${ownerRole};
    grant references, select on auth.users to ${ownerRole};
    -- Like Supabase's postgres role, the owner can read every schema, which a backup (pg_dump) needs.
    do $$
    declare s record;
    begin
      for s in select nspname from pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema' loop
        execute format('grant usage on schema %I to ${ownerRole}', s.nspname);
        execute format('grant select on all tables in schema %I to ${ownerRole}', s.nspname);
        execute format('grant select on all sequences in schema %I to ${ownerRole}', s.nspname);
      end loop;
    end $$;
    alter default privileges in schema public grant select on tables to ${ownerRole};
    -- Like Supabase's postgres role, it bypasses RLS: a backup must see every row, FORCEd tables too.
    alter role ${ownerRole} bypassrls;
    do $$
    declare t record;
    begin
      for t in select tablename from pg_tables where schemaname = 'public' loop
        execute format('alter table public.%I owner to ${ownerRole}', t.tablename);
      end loop;
    end $$;`);
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
  const url = new URL(withDatabase(adminUrl, created.name));
  url.username = ownerRole;
  url.password = password;
  return {
    name: created.name,
    url: url.toString(),
    ownerRole,
    password,
    sql,
    drop,
  };
}

function cleanEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

function spawnCli(
  bin: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  stdin: string | undefined,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args, "--non-interactive"], { cwd, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

function readTree(dir: string, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      for (const [k, v] of readTree(path, rel)) out.set(k, v);
    } else {
      const raw = readFileSync(path);
      out.set(rel, (entry.name.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8"));
    }
  }
  return out;
}

/** Which of `secrets` occur in `text` (by index, so a failure message never prints one). */
export function leakedSecrets(text: string, secrets: readonly string[]): number[] {
  return secrets.flatMap((s, i) => (s.length >= 6 && text.includes(s) ? [i] : []));
}

/** A connection URL with a password in it (`scheme://user:pass@`), redacted for messages. */
export function credentialUrls(text: string): string[] {
  return [...text.matchAll(/postgres(?:ql)?:\/\/[^\s:/@"'\\]+:[^\s@"'\\]+@[^\s"'\\]*/g)].map((m) =>
    m[0].replace(/:\/\/([^:]+):[^@]+@/, "://$1:***@"),
  );
}

/** Superuser peek at one table's RLS flags and policies. */
export async function rlsState(
  db: AppDatabase,
): Promise<Record<string, { enabled: boolean; forced: boolean; policies: string[] }>> {
  const rows = await db.sql<{
    table: string;
    enabled: boolean;
    forced: boolean;
    policies: string[];
  }>(
    `select c.relname as table, c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
            coalesce(array_agg(p.polname::text order by p.polname) filter (where p.polname is not null), '{}'::text[]) as policies
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     left join pg_policy p on p.polrelid = c.oid
     where n.nspname = 'public' and c.relkind in ('r', 'p')
     group by c.relname, c.relrowsecurity, c.relforcerowsecurity
     order by c.relname`,
  );
  return Object.fromEntries(
    rows.map((r) => [r.table, { enabled: r.enabled, forced: r.forced, policies: r.policies }]),
  );
}

/** Pulumi's marker for a secret value in state and exports. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** `value` with every secret envelope (`{ [SECRET_SIG]: …, plaintext | ciphertext }`) replaced by "[secret]". */
export function withoutSecretEnvelopes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecretEnvelopes);
  if (value === null || typeof value !== "object") return value;
  if (SECRET_SIG in value) return "[secret]";
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutSecretEnvelopes(v)]));
}

/**
 * Point the stack's rotation at stand-ins started here, as `npm run local`
 * does: their URLs and the app's health URL as plain config, their tokens as
 * secrets through stdin; the audit log in the temp root; the group role (a
 * name of this stack's own) created by the same SQL the local harness runs.
 */
async function prepareRotation(
  project: E2eProject,
  stack: Stack,
  stackName: string,
): Promise<E2eRotation> {
  const { config } = readStackConfig({ stack: E2E_STACK });
  const saas = await startLocalSaas({ config, databaseUrl: project.db.url });
  try {
    const index = config.rotation.credentials.findIndex((c) => c.kind === "postgres-login");
    const group = `e2e_rw_${randomBytes(4).toString("hex")}`;
    const roles = groupRoleDeclaration({ ...config.rotation.credentials[index]!, group });
    await project.db.sql(groupRoleSql(roles, project.db.ownerRole));
    // The owner role manages the logins' passwords, as Supabase's postgres role can.
    await project.db.sql(
      `alter role ${project.db.ownerRole} createrole; grant ${roles.group} to ${project.db.ownerRole} with admin option; grant pg_signal_backend to ${project.db.ownerRole}`,
    );
    const auditFile = join(project.root, "rotation-audit.jsonl");
    const settings = localRotationSettings(saas);
    for (const [path, value] of [
      ...settings.plain,
      [`rotation.credentials[${index}].group`, group],
      ["rotation.audit.file", auditFile],
    ] as [string, string][])
      await stack.setConfig(path, { value }, true);
    for (const [key, value] of settings.secrets) {
      const set = await project.cli(["config", "set", "--secret", key, "-s", stackName], {
        stdin: value,
        op: `config set --secret ${key}`,
      });
      if (set.code !== 0) throw new Error(`config set --secret ${key} failed:\n${set.stderr}`);
      project.secretValues.push(value);
    }
    return { saas, roles, auditFile };
  } catch (err) {
    await saas.stop();
    throw err;
  }
}

async function dropRoles(roles: GroupRoleDeclaration): Promise<void> {
  const admin = new Client({ connectionString: services().postgres.adminUrl });
  await admin.connect();
  try {
    for (const role of [...roles.logins, roles.group]) {
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where usename = $1`,
        [role],
      );
      await admin.query(`drop role if exists ${role}`);
    }
  } finally {
    await admin.end();
  }
}
