/**
 * `npm run setup`: install what this machine lacks, idempotently, and say
 * what was done. `npm test` and `npm run local` call it first so a newcomer
 * never has to.
 *
 * - PostgreSQL 15+ server and client from Debian's packages (when root);
 * - MinIO, the local S3 server, built from its Go module into .tools/;
 * - moto, the local CloudWatch server, from PyPI into the virtualenv .venv/moto;
 * - the Pulumi CLI and our Node.js language host, built from Go modules into .tools/;
 * - actionlint (the workflow linter `npm test` runs), built from its Go module into .tools/.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { ensureActionlint } from "../infra/tools/actionlint";
import { ensureMinio } from "../infra/tools/minio";
import { ensureMoto } from "../infra/tools/moto";
import { ensurePulumiCli } from "../infra/tools/pulumi-cli";
import { findPostgresBinDir } from "../infra/local/postgres";

interface Step {
  name: string;
  outcome: "present" | "installed" | "built";
  detail: string;
}

const log = (line: string) => console.log(`[setup] ${line}`);

function havePostgres(): { binDir: string; major: number } | undefined {
  try {
    return findPostgresBinDir();
  } catch {
    return undefined;
  }
}

function ensurePostgres(quiet: boolean): Step {
  const found = havePostgres();
  const psql = spawnSync("psql", ["--version"], { encoding: "utf8" }).status === 0;
  const pgDump = spawnSync("pg_dump", ["--version"], { encoding: "utf8" }).status === 0;
  if (found && psql && pgDump)
    return {
      name: "postgresql",
      outcome: "present",
      detail: `PostgreSQL ${found.major} (${found.binDir})`,
    };
  if (process.getuid?.() !== 0) {
    throw new Error(
      "PostgreSQL 15+ (server, contrib and client) is not installed and this is not root, so setup cannot install it.\n" +
        "Install it with: sudo apt-get install -y postgresql postgresql-contrib postgresql-client\n" +
        "or point the tests at a server you own: DATABASE_URL=postgres://superuser:…@host:5432/postgres npm test",
    );
  }
  log(
    "installing PostgreSQL from Debian's packages (postgresql, postgresql-contrib, postgresql-client)…",
  );
  // Debian would create and start a `main` cluster on 5432; the harness makes its own.
  mkdirSync("/etc/postgresql-common", { recursive: true });
  if (!existsSync("/etc/postgresql-common/createcluster.conf")) {
    writeFileSync("/etc/postgresql-common/createcluster.conf", "create_main_cluster = false\n");
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const run = (args: string[]) => {
    // stdin is never a terminal here; quiet runs keep the output for the error message.
    const result = spawnSync("apt-get", args, {
      env,
      encoding: "utf8",
      stdio: ["ignore", quiet ? "pipe" : "inherit", quiet ? "pipe" : "inherit"],
    });
    if (result.status !== 0) {
      const tail = `${result.stdout ?? ""}${result.stderr ?? ""}`
        .trim()
        .split("\n")
        .slice(-15)
        .join("\n");
      throw new Error(
        `apt-get ${args.join(" ")} failed with exit code ${result.status}.${tail ? `\n${tail}` : ""}`,
      );
    }
  };
  run(["update", "-q"]);
  run([
    "install",
    "-y",
    "-q",
    "--no-install-recommends",
    // Keep our createcluster.conf without a conffile prompt: CI has no terminal to answer it.
    "-o",
    "Dpkg::Options::=--force-confdef",
    "-o",
    "Dpkg::Options::=--force-confold",
    "postgresql",
    "postgresql-contrib",
    "postgresql-client",
  ]);
  const after = havePostgres();
  if (!after)
    throw new Error(
      "apt-get installed postgresql but no PostgreSQL 15+ server binaries were found under /usr/lib/postgresql.",
    );
  return { name: "postgresql", outcome: "installed", detail: `PostgreSQL ${after.major} from apt` };
}

/** Install or build whatever is missing. Safe to call on every run. */
export async function runSetup({ quiet = false }: { quiet?: boolean } = {}): Promise<void> {
  const verbose = (line: string) => {
    if (!quiet) log(line);
  };
  const started = Date.now();
  const steps: Step[] = [];
  steps.push(ensurePostgres(quiet));
  const minio = await ensureMinio(log);
  steps.push({
    name: "minio",
    outcome: minio.built ? "built" : "present",
    detail: minio.built ? `built in ${minio.seconds} s` : minio.bin,
  });
  const moto = await ensureMoto(log);
  steps.push({
    name: "moto",
    outcome: moto.installed ? "installed" : "present",
    detail: moto.installed ? `installed in ${moto.seconds} s` : moto.bin,
  });
  const actionlint = await ensureActionlint(log);
  steps.push({
    name: "actionlint",
    outcome: actionlint.built ? "built" : "present",
    detail: actionlint.built ? `built in ${actionlint.seconds} s` : actionlint.bin,
  });
  const cli = await ensurePulumiCli({ quiet });
  steps.push({
    name: "pulumi",
    outcome: cli.built ? "built" : "present",
    detail: `${cli.version} (${cli.bin})`,
  });
  const changed = steps.filter((s) => s.outcome !== "present");
  for (const step of steps) {
    if (step.outcome !== "present") log(`${step.name}: ${step.outcome} — ${step.detail}`);
    else verbose(`${step.name}: already present — ${step.detail}`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (changed.length > 0 || !quiet)
    log(
      `done in ${seconds} s (${changed.length} installed or built, ${steps.length - changed.length} already present)`,
    );
}

if (require.main === module) {
  runSetup({ quiet: process.argv.includes("--quiet") }).catch((err: Error) => {
    console.error(`[setup] ${err.message}`);
    process.exit(2);
  });
}
