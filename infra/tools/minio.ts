/**
 * MinIO, built from its Go module the first time and cached in .tools/.
 *
 * Why MinIO: it streams multipart uploads straight to disk and is the S3
 * server most self-hosters run; see bench/s3-server.md for the measurement
 * against the alternatives.
 */
import { spawnSync } from "node:child_process";
import { runGo } from "./go";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TOOLS_DIR } from "../lib/paths";

/** MinIO publishes no semver tags; this is the module proxy's pseudo-version of its newest release commit. */
export const MINIO_MODULE = "github.com/minio/minio";
export const MINIO_VERSION = "v0.0.0-20260212201848-7aac2a2c5b7c";

const binDir = join(TOOLS_DIR, "minio", "bin");
const stampFile = join(TOOLS_DIR, "minio", "version");

export function minioBinary(): string | undefined {
  const bin = join(binDir, "minio");
  if (
    existsSync(bin) &&
    existsSync(stampFile) &&
    readFileSync(stampFile, "utf8").trim() === MINIO_VERSION
  )
    return bin;
  return undefined;
}

export function requireGo(what: string): string {
  const go = spawnSync("go", ["version"], { encoding: "utf8" });
  if (go.status !== 0) {
    throw new Error(
      `Go (1.24 or newer) is needed to build ${what} but \`go\` is not on PATH. ` +
        "Install it with `apt-get install -y golang` (Debian 13+) or from your distribution, then run `npm run setup` again.",
    );
  }
  return go.stdout.trim();
}

/** Build MinIO into .tools/minio/bin unless the pinned version is already there. */
export async function ensureMinio(
  log: (line: string) => void,
): Promise<{ bin: string; built: boolean; seconds: number }> {
  const existing = minioBinary();
  if (existing) return { bin: existing, built: false, seconds: 0 };
  requireGo("MinIO");
  mkdirSync(binDir, { recursive: true });
  log(`building MinIO ${MINIO_VERSION} from its Go module (first run only, a few minutes)…`);
  const started = Date.now();
  const { code, tail } = await runGo(["install", "-trimpath", `${MINIO_MODULE}@${MINIO_VERSION}`], {
    env: { GOBIN: binDir },
    onTick: (seconds) => log(`  still building MinIO (${seconds} s)…`),
  });
  if (code !== 0) {
    throw new Error(
      `Building MinIO failed (go install exited ${code}). Last output:\n${tail}\nRetry with \`npm run setup\`; if the module proxy refused a module, check network access to the Go module proxy.`,
    );
  }
  writeFileSync(stampFile, MINIO_VERSION + "\n");
  const seconds = Math.round((Date.now() - started) / 1000);
  log(`built MinIO in ${seconds} s`);
  return { bin: join(binDir, "minio"), built: true, seconds };
}
