/**
 * moto's server: a real CloudWatch endpoint on loopback for the backup
 * freshness metric (PutMetricData / GetMetricStatistics), installed from PyPI
 * into a project-local virtualenv (.venv/moto, gitignored) the first time.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../lib/paths";

export const MOTO_VERSION = "5.2.5";
const venv = join(REPO_ROOT, ".venv", "moto");
const stamp = join(venv, "runbooks-version");

export function motoServerBinary(): string | undefined {
  const bin = join(venv, "bin", "moto_server");
  if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, "utf8").trim() === MOTO_VERSION)
    return bin;
  return undefined;
}

function python(): string {
  for (const candidate of ["python3", "python3.11", "python3.12", "python3.13"]) {
    const r = spawnSync(
      candidate,
      ["-c", "import sys, venv; print(sys.version_info[:2] >= (3, 9))"],
      {
        encoding: "utf8",
      },
    );
    if (r.status === 0 && r.stdout.trim() === "True") return candidate;
  }
  throw new Error(
    "Python 3.9+ with the venv module is needed to install moto (the local CloudWatch server) but none was found. " +
      "Install it with `apt-get install -y python3 python3-venv python3-pip`, then run `npm run setup` again.",
  );
}

function run(cmd: string, args: string[]): Promise<{ code: number; tail: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const keep = (b: Buffer) => (out = (out + b.toString()).slice(-4000));
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (e) => resolve({ code: 127, tail: e.message }));
    child.on("close", (code) => resolve({ code: code ?? 1, tail: out }));
  });
}

/** Install moto[server] into .venv/moto unless the pinned version is there. */
export async function ensureMoto(
  log: (line: string) => void,
): Promise<{ bin: string; installed: boolean; seconds: number }> {
  const existing = motoServerBinary();
  if (existing) return { bin: existing, installed: false, seconds: 0 };
  const py = python();
  const started = Date.now();
  log(`installing moto[server] ${MOTO_VERSION} from PyPI into .venv/moto (first run only)…`);
  mkdirSync(join(REPO_ROOT, ".venv"), { recursive: true });
  if (!existsSync(join(venv, "bin", "pip"))) {
    let made = await run(py, ["-m", "venv", venv]);
    if (made.code !== 0 && process.getuid?.() === 0) {
      // Debian's python3 ships venv without ensurepip; its python3-venv package adds it.
      log("python3 -m venv failed; installing Debian's python3-venv and retrying…");
      const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
      await run("apt-get", ["update", "-q"]);
      const apt = spawnSync("apt-get", ["install", "-y", "-q", "python3-venv"], {
        env,
        encoding: "utf8",
      });
      if (apt.status === 0) made = await run(py, ["-m", "venv", "--clear", venv]);
    }
    if (made.code !== 0)
      throw new Error(
        `creating the virtualenv .venv/moto failed:\n${made.tail}\nInstall python3-venv (apt-get install -y python3-venv).`,
      );
  }
  const pip = await run(join(venv, "bin", "pip"), [
    "install",
    "--quiet",
    "--disable-pip-version-check",
    `moto[server]==${MOTO_VERSION}`,
  ]);
  if (pip.code !== 0)
    throw new Error(
      `pip install moto[server]==${MOTO_VERSION} failed:\n${pip.tail}\nRetry with \`npm run setup\`; it needs access to PyPI.`,
    );
  writeFileSync(stamp, MOTO_VERSION + "\n");
  const seconds = Math.round((Date.now() - started) / 1000);
  log(`installed moto in ${seconds} s`);
  return { bin: join(venv, "bin", "moto_server"), installed: true, seconds };
}
