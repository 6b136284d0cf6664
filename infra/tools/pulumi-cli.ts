/**
 * The Pulumi CLI this repository runs, pinned to the same version as the
 * @pulumi/pulumi npm package.
 *
 * Pulumi's own download site is out of reach from our machines, so the CLI is
 * built from its Go module (github.com/pulumi/pulumi/pkg/v3) together with our
 * own Node.js language host; both come from the wrapper module in
 * scripts/tools/pulumi (see its README). The build lands in .tools/pulumi/bin
 * and is reused until the wrapper module changes. A `pulumi` already on PATH
 * is used instead when it is the pinned version or newer within the same
 * major version and has a Node.js language host (an official install), so a
 * user with their own Pulumi needs no Go at all.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { delimiter, join, relative, resolve } from "node:path";
import { runGo } from "./go";
import { REPO_ROOT, TOOLS_DIR } from "../lib/paths";

/** Keep in step with "@pulumi/pulumi" in package.json and the require line in the wrapper go.mod. */
export const PULUMI_VERSION = "3.248.0";
/** The `go` directive of github.com/pulumi/pulumi/pkg/v3 at that version. */
export const MIN_GO_VERSION = "1.25.11";
/** The Go module that builds the CLI and our language host (committed, with go.sum). */
export const PULUMI_MODULE_DIR = join(REPO_ROOT, "scripts", "tools", "pulumi");
/** Where the build is cached (gitignored). */
export const PULUMI_BIN_DIR = join(TOOLS_DIR, "pulumi", "bin");

const LANGUAGE_HOST = "pulumi-language-nodejs";
/** Shell launchers (e.g. the dynamic-provider plugin) copied next to the binaries. */
const LAUNCHERS_DIR = join(PULUMI_MODULE_DIR, "bin");
const STAMP_FILE = join(PULUMI_BIN_DIR, ".stamp");
const LOCK_DIR = join(TOOLS_DIR, "pulumi", ".build-lock");
const VERSION_LDFLAG = `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${PULUMI_VERSION}`;

export interface PulumiCli {
  /** Absolute path of the `pulumi` executable. */
  bin: string;
  /** Its directory, which also holds the language host and plugin launchers. */
  binDir: string;
  /** What `pulumi version` prints, e.g. "v3.248.0". */
  version: string;
  /** True when this call built it. */
  built: boolean;
}

export interface EnsureOptions {
  /** Only report builds, not "already present". */
  quiet?: boolean;
  /** Progress output; defaults to stderr so stdout stays clean for callers. */
  log?: (line: string) => void;
}

let located: PulumiCli | undefined;

/** Find, or build once, the pinned Pulumi CLI. */
export async function ensurePulumiCli(options: EnsureOptions = {}): Promise<PulumiCli> {
  const log = options.log ?? ((line: string) => console.error(`[pulumi-cli] ${line}`));
  if (located) return { ...located, built: false };

  const ambient = findAmbientCli();
  if (ambient.cli) {
    if (!options.quiet) log(`using ${ambient.cli.bin} (${ambient.cli.version})`);
    return (located = ambient.cli);
  }
  if (ambient.rejected && !options.quiet) log(`not using ${ambient.rejected}`);

  let cli = cachedCli();
  if (cli) {
    if (!options.quiet) log(`using cached build ${cli.bin} (${cli.version})`);
    return (located = cli);
  }

  cli = await withBuildLock(log, async () => cachedCli() ?? (await build(log)));
  return (located = cli);
}

/**
 * `env` for running the CLI: our bin directory first on PATH (so `pulumi`,
 * its language host and the dynamic-provider launcher resolve to the pinned
 * build) and no update check (it would try to reach Pulumi's servers).
 * Caller-provided values win for everything but PATH.
 */
export function pulumiEnv(baseEnv: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const binDir = located?.binDir ?? PULUMI_BIN_DIR;
  const rest = (baseEnv.PATH ?? "").split(delimiter).filter((p) => p !== "" && p !== binDir);
  return {
    PULUMI_SKIP_UPDATE_CHECK: "1",
    // Warnings about old-style file-backend layouts are noise for our
    // freshly created .state/ backends.
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "1",
    ...baseEnv,
    PATH: [binDir, ...rest].join(delimiter),
  };
}

/**
 * Whether a Pulumi CLI of `version` (what `pulumi version` prints) can run
 * this program: the same major version as the SDK, and no older than it —
 * the engine must know every feature the SDK asks for, and Pulumi keeps
 * newer CLIs compatible with older SDKs within a major version.
 */
export function cliVersionProblem(
  version: string | undefined,
  pinned = PULUMI_VERSION,
): string | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version ?? "");
  if (!match) return `does not report a version (got '${version ?? ""}')`;
  const [major, minor, patch] = match.slice(1, 4).map(Number) as [number, number, number];
  const [pMajor, pMinor, pPatch] = pinned.split(".").map(Number) as [number, number, number];
  if (major !== pMajor)
    return `is v${major}.${minor}.${patch}, another major version than the SDK's v${pinned}`;
  if (compareVersions(`${major}.${minor}.${patch}`, `${pMajor}.${pMinor}.${pPatch}`) < 0)
    return `is v${major}.${minor}.${patch}, older than the SDK's v${pinned}`;
  return undefined;
}

export interface AmbientChoice {
  cli?: PulumiCli;
  /** Why the `pulumi` on PATH is not used, when there is one. */
  rejected?: string;
}

/**
 * The first `pulumi` on PATH (the one a shell would run), outside our own
 * cache, when it can run this program and has a Node.js language host (an
 * official install ships one next to it).
 */
export function findAmbientCli(path: string | undefined = process.env.PATH): AmbientChoice {
  const dirs = (path ?? "")
    .split(delimiter)
    .filter((d) => d !== "" && resolve(d) !== PULUMI_BIN_DIR);
  const dir = dirs.find((d) => isExecutable(join(d, "pulumi")));
  if (dir === undefined) return {};
  const bin = join(dir, "pulumi");
  const version = pulumiVersion(bin);
  const problem = cliVersionProblem(version);
  if (problem) return { rejected: `${bin} ${problem}` };
  if (!dirs.some((d) => isExecutable(join(d, LANGUAGE_HOST))))
    return { rejected: `${bin} has no ${LANGUAGE_HOST} on PATH (an incomplete install)` };
  return { cli: { bin, binDir: dir, version: version!, built: false } };
}

function cachedCli(): PulumiCli | undefined {
  const bin = join(PULUMI_BIN_DIR, "pulumi");
  if (!isExecutable(bin) || !isExecutable(join(PULUMI_BIN_DIR, LANGUAGE_HOST))) return undefined;
  if (!existsSync(STAMP_FILE) || readFileSync(STAMP_FILE, "utf8").trim() !== sourceStamp())
    return undefined;
  return { bin, binDir: PULUMI_BIN_DIR, version: `v${PULUMI_VERSION}`, built: false };
}

/**
 * Hash of everything that goes into the build: the pinned version and every
 * file of the wrapper module except its README (go.mod, go.sum, Go sources,
 * launchers). Any change there means the cache is stale.
 */
export function sourceStamp(): string {
  const hash = createHash("sha256").update(`pulumi ${PULUMI_VERSION}\0`);
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
    );
  const files = walk(PULUMI_MODULE_DIR)
    .filter((f) => !f.endsWith(".md"))
    .map((f) => relative(PULUMI_MODULE_DIR, f))
    .sort();
  for (const file of files) {
    hash
      .update(`${file}\0`)
      .update(readFileSync(join(PULUMI_MODULE_DIR, file)))
      .update("\0");
  }
  return hash.digest("hex");
}

async function build(log: (line: string) => void): Promise<PulumiCli> {
  const goVersion = requireGo();
  // Measured on 2 cores: 3.5 min with empty Go caches, 3.3 min with the
  // modules already downloaded, ~10 s when only our own sources changed.
  log(
    `building Pulumi CLI v${PULUMI_VERSION} from Go modules with ${goVersion} ` +
      `(first run only, up to ~4 min on 2 cores)…`,
  );
  const started = Date.now();
  rmSync(STAMP_FILE, { force: true });
  mkdirSync(PULUMI_BIN_DIR, { recursive: true });

  // One `go build` for both main packages: go schedules the shared
  // dependencies once and writes each binary under its package name.
  const output = await runGo(
    [
      "build",
      "-ldflags",
      VERSION_LDFLAG,
      "-o",
      PULUMI_BIN_DIR + "/",
      "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
      `./cmd/${LANGUAGE_HOST}`,
    ],
    { cwd: PULUMI_MODULE_DIR, onTick: (seconds) => log(`  still building (${seconds} s)…`) },
  );
  if (output.code !== 0) {
    throw new Error(
      `Building the Pulumi CLI failed (go build exited ${output.code}). Last output:\n` +
        `${output.tail}\n` +
        `Retry with \`npx tsx scripts/pulumi-cli.ts\`. If a module download was refused, check ` +
        `access to the Go module proxy; if the cache is damaged, \`go clean -cache\` and retry.`,
    );
  }

  for (const name of readdirSync(LAUNCHERS_DIR)) {
    const target = join(PULUMI_BIN_DIR, name);
    copyFileSync(join(LAUNCHERS_DIR, name), target);
    chmodSync(target, 0o755);
  }

  const bin = join(PULUMI_BIN_DIR, "pulumi");
  const version = pulumiVersion(bin);
  if (version !== `v${PULUMI_VERSION}`) {
    throw new Error(
      `built ${bin} but it reports ${version ?? "no version"}, not v${PULUMI_VERSION}`,
    );
  }
  writeFileSync(STAMP_FILE, sourceStamp() + "\n");
  const seconds = Math.round((Date.now() - started) / 1000);
  log(`built Pulumi CLI ${version} in ${formatDuration(seconds)} → ${PULUMI_BIN_DIR}`);
  return { bin, binDir: PULUMI_BIN_DIR, version, built: true };
}

/** Returns e.g. "go1.26.8", or throws with instructions. */
function requireGo(): string {
  const hint =
    `Go ${MIN_GO_VERSION} or newer is needed to build the Pulumi CLI (the \`go\` line of ` +
    `github.com/pulumi/pulumi/pkg/v3). Install it with \`apt-get install golang\` where your ` +
    `distribution's package is that new (Debian 12 ships 1.19, too old), otherwise install the ` +
    `Go toolchain from your usual source; with an older \`go\` already installed, ` +
    `\`export GOTOOLCHAIN=go1.27.3\` makes it fetch that toolchain from the Go module proxy. ` +
    `Then run \`npx tsx scripts/pulumi-cli.ts\` again.`;
  const result = spawnSync("go", ["env", "GOVERSION"], {
    cwd: PULUMI_MODULE_DIR,
    encoding: "utf8",
  });
  if (result.error) throw new Error(`\`go\` is not on PATH. ${hint}`);
  if (result.status !== 0) throw new Error(`\`go env\` failed: ${result.stderr.trim()}\n${hint}`);
  const version = result.stdout.trim();
  if (compareVersions(version.replace(/^go/, ""), MIN_GO_VERSION) < 0) {
    throw new Error(`found ${version}. ${hint}`);
  }
  return version;
}

/**
 * Serialize builds across processes (parallel test workers may all ask at
 * once, and two concurrent builds on 2 cores help nobody). mkdir is atomic;
 * a lock whose owner has died is taken over.
 */
async function withBuildLock<T>(log: (line: string) => void, fn: () => Promise<T>): Promise<T> {
  mkdirSync(join(TOOLS_DIR, "pulumi"), { recursive: true });
  let announced = false;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(join(LOCK_DIR, "pid"), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number(readFileOr(join(LOCK_DIR, "pid"), "0"));
      if (owner > 0 && !isAlive(owner)) {
        rmSync(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (!announced) {
        log(`waiting for another process (pid ${owner || "?"}) that is building the Pulumi CLI…`);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

function pulumiVersion(bin: string): string | undefined {
  const result = spawnSync(bin, ["version"], {
    encoding: "utf8",
    env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "1" },
    timeout: 30_000,
  });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readFileOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return fallback;
  }
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map((n) => parseInt(n, 10) || 0);
  const pb = b.split(".").map((n) => parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function formatDuration(seconds: number): string {
  return seconds >= 60 ? `${Math.floor(seconds / 60)} min ${seconds % 60} s` : `${seconds} s`;
}
