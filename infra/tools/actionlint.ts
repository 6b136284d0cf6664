/**
 * actionlint (the GitHub Actions workflow linter), built from its Go module
 * the first time with the same Go runner as the Pulumi CLI and MinIO, and
 * cached in .tools/. The npm-packaged builds are old WebAssembly ports, so
 * the checks would lag the real tool's.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TOOLS_DIR } from "../lib/paths";
import { runGo } from "./go";
import { requireGo } from "./minio";

export const ACTIONLINT_MODULE = "github.com/rhysd/actionlint";
export const ACTIONLINT_VERSION = "v1.7.12";

const binDir = join(TOOLS_DIR, "actionlint", "bin");
const stampFile = join(TOOLS_DIR, "actionlint", "version");

export function actionlintBinary(): string | undefined {
  const bin = join(binDir, "actionlint");
  if (
    existsSync(bin) &&
    existsSync(stampFile) &&
    readFileSync(stampFile, "utf8").trim() === ACTIONLINT_VERSION
  )
    return bin;
  return undefined;
}

/** Build actionlint into .tools/actionlint/bin unless the pinned version is already there. */
export async function ensureActionlint(
  log: (line: string) => void,
): Promise<{ bin: string; built: boolean; seconds: number }> {
  const existing = actionlintBinary();
  if (existing) return { bin: existing, built: false, seconds: 0 };
  requireGo("actionlint");
  mkdirSync(binDir, { recursive: true });
  log(`building actionlint ${ACTIONLINT_VERSION} from its Go module (first run only)…`);
  const started = Date.now();
  const { code, tail } = await runGo(
    ["install", "-trimpath", `${ACTIONLINT_MODULE}/cmd/actionlint@${ACTIONLINT_VERSION}`],
    { env: { GOBIN: binDir }, onTick: (s) => log(`  still building actionlint (${s} s)…`) },
  );
  if (code !== 0)
    throw new Error(
      `Building actionlint failed (go install exited ${code}). Last output:\n${tail}\nRetry with \`npm run setup\`; if the module proxy refused a module, check network access to the Go module proxy.`,
    );
  writeFileSync(stampFile, ACTIONLINT_VERSION + "\n");
  const seconds = Math.round((Date.now() - started) / 1000);
  log(`built actionlint in ${seconds} s`);
  return { bin: join(binDir, "actionlint"), built: true, seconds };
}
