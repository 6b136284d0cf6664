/**
 * Secret scanning for the runbook step "Suspected security breach → scan for
 * leaked secrets": the working tree, the whole git history (or the commits
 * since a ref), or the staged index for a pre-commit hook. Commands wire it
 * up; everything they need is exported here.
 */
export { scanSecrets, DEFAULT_MAX_FILE_BYTES, type SecretScanOptions } from "./scan";
export { reportFindings, hasLeaks } from "./report";
export { toSarif, SARIF_SCHEMA } from "./sarif";
export {
  installPreCommitHook,
  HOOK_SCRIPT,
  HOOK_MARKER,
  type HookInstallOptions,
  type HookInstallResult,
} from "./hook";
export {
  parseAllowlist,
  loadAllowlist,
  applyAllowlist,
  describeEntry,
  type Allowlist,
} from "./allowlist";
export { ALLOWLIST_FILE } from "./secret-finding";
export { knownFindingIds, detectorFor } from "./catalog";
export { maskSecret } from "./mask";
export { SecretsScanError, type SecretsScanErrorCode } from "./errors";
export type {
  AllowlistEntry,
  DetectorInfo,
  ScanNote,
  ScanSource,
  ScanStats,
  SecretFinding,
  SecretLocation,
  SecretScanReport,
  SuppressedFinding,
} from "./types";
