/**
 * The only forms in which a found secret leaves the scanner: a masked string
 * and a fingerprint. Both are computed once, where the value is in hand, and
 * the value is dropped right after.
 */
import { shortHash } from "../lib/naming";

/** Below this length no prefix is shown, so at least 16 characters stay hidden. */
const PREFIX_MIN_LENGTH = 20;
const PREFIX_LENGTH = 4;
const FINGERPRINT_LENGTH = 16;

/**
 * `ghp_******** (40 chars)`: the first four characters (a token's public
 * type prefix for most formats) and the length, never the body.
 */
export function maskSecret(value: string): string {
  const shown = value.length >= PREFIX_MIN_LENGTH ? value.slice(0, PREFIX_LENGTH) : "";
  return `${shown.replace(/\s/g, " ")}******** (${value.length} chars)`;
}

/**
 * Stable across scans and line moves, different for a different value or
 * file: an allowlisted fake token copied into another file is reported again,
 * and so is a real key committed where a fake one used to be.
 */
export function secretFingerprint(findingId: string, path: string, value: string): string {
  return shortHash(`secrets-scan/v1\0${findingId}\0${path}\0${value}`, FINGERPRINT_LENGTH);
}

/** Replace every occurrence of each value by its mask (longest first, so no part survives). */
export function maskValuesIn(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of [...values].sort((a, b) => b.length - a.length)) {
    if (value.length === 0) continue;
    out = out.split(value).join(maskSecret(value));
  }
  return out;
}

export const FINGERPRINT_PATTERN = /^[0-9a-f]{16}$/;
