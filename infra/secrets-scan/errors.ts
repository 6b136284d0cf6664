/** Why a scan, an allowlist or a hook install could not go ahead; `code` lets a command choose its exit status. */
export type SecretsScanErrorCode =
  | "git-missing"
  | "not-a-repository"
  | "unknown-ref"
  | "git-failed"
  | "allowlist-invalid"
  | "allowlist-unreadable"
  | "hook-conflict";

export class SecretsScanError extends Error {
  constructor(
    readonly code: SecretsScanErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "SecretsScanError";
  }
}
