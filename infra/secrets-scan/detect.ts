/**
 * Runs secretlint over one piece of text: the recommended preset plus this
 * project's Supabase rules. Returns raw detections, value included; only
 * secret-finding.ts turns them into findings, and the value goes no further.
 */
import { lintSource } from "@secretlint/core";
import { secretLintProfiler } from "@secretlint/profiler";
import { creator as recommendedPreset } from "@secretlint/secretlint-rule-preset-recommend";
import type { SecretLintCoreConfig, SecretLintCoreResultMessage } from "@secretlint/types";
import { isPlaceholderCredential } from "./placeholders";
import { supabaseAccessTokenRule } from "./rules/disallow-supabase-access-token";
import { supabaseSecretKeyRule } from "./rules/disallow-supabase-secret-key";
import { supabaseServiceRoleJwtRule } from "./rules/disallow-supabase-service-role-jwt";

// secretlint 12 marks every rule run on a global profiler whose observer
// keeps every mark and searches them all on each one (secretlint#1633,
// fixed in 13, which needs Node 22): a history scan slowed quadratically,
// 4 s for this repository instead of 0.5 s. Nothing here reads the profile.
secretLintProfiler.mark = () => undefined;

/** A match inside the scanned text. Internal: carries the value. */
export interface Detection {
  rule: string;
  messageId: string;
  /** secretlint's message up to the value, e.g. "GitHub Token(GitHub personal access tokens)". */
  title: string;
  value: string;
  /** 1-based, in the scanned text. */
  line: number;
  column: number;
  /** Every string the rule put in its message data that occurs in the text; all are masked. */
  sensitive: string[];
}

const FILTER_COMMENTS = "@secretlint/secretlint-rule-filter-comments";

/**
 * The preset's rules registered one by one rather than as a preset:
 * secretlint 12 ignores `disabled` for a rule inside a preset, and the
 * comment filter must not run. `secretlint-disable` comments would be a
 * second way to suppress a finding, without a reason; the allowlist file is
 * the only one.
 */
const config: SecretLintCoreConfig = {
  rules: [
    ...recommendedPreset.rules
      .filter((rule) => rule.meta.id !== FILTER_COMMENTS)
      .map((rule) =>
        rule.meta.id === "@secretlint/secretlint-rule-aws"
          ? // Access key ids name the key to deactivate; account ids are not secrets.
            {
              id: rule.meta.id,
              rule,
              options: { enableIDScanRule: true },
              allowMessageIds: ["AWSAccountID"],
            }
          : { id: rule.meta.id, rule },
      ),
    { id: "runbooks/supabase-secret-key", rule: supabaseSecretKeyRule },
    { id: "runbooks/supabase-access-token", rule: supabaseAccessTokenRule },
    { id: "runbooks/supabase-service-role-jwt", rule: supabaseServiceRoleJwtRule },
  ],
};

/** Index of each line start, for turning an offset into line and column. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

function position(starts: readonly number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - (starts[lo] ?? 0) + 1 };
}

/** The occurrence of `value` nearest to `near`, or -1. */
function nearestOccurrence(text: string, value: string, near: number): number {
  const after = text.indexOf(value, Math.max(0, near - value.length));
  const before = text.lastIndexOf(value, near);
  if (after === -1) return before;
  if (before === -1) return after;
  return Math.abs(after - near) <= Math.abs(before - near) ? after : before;
}

/**
 * secretlint's `range` is not always the value (the AWS secret rule reports
 * the match start with the key's length), but every rule puts the value in
 * its message data. Take the data string that occurs closest to the range.
 */
function locateValue(
  text: string,
  message: SecretLintCoreResultMessage,
): { value: string; offset: number; sensitive: string[] } {
  const [start, end] = message.range;
  const sensitive = Object.values(message.data ?? {}).filter(
    (v): v is string => typeof v === "string" && v.length >= 4 && text.includes(v),
  );
  let best: { value: string; offset: number } | null = null;
  for (const value of sensitive) {
    const offset = nearestOccurrence(text, value, start);
    const distance = Math.abs(offset - start);
    const bestDistance = best ? Math.abs(best.offset - start) : Infinity;
    if (
      distance < bestDistance ||
      (distance === bestDistance && value.length > (best?.value.length ?? 0))
    ) {
      best = { value, offset };
    }
  }
  if (best) return { ...best, sensitive };
  const value = text.slice(start, end);
  return { value, offset: start, sensitive: [value] };
}

function titleOf(message: string): string {
  const withoutVerb = message.replace(/^found\s+/i, "");
  const colon = withoutVerb.indexOf(": ");
  return (colon === -1 ? withoutVerb : withoutVerb.slice(0, colon)).trim();
}

/** Scan one text. `path` is repository-relative; rules use it for file-type checks (.npmrc, *.json). */
export async function detectSecrets(text: string, path: string): Promise<Detection[]> {
  if (text.length === 0) return [];
  const result = await lintSource({
    source: { content: text, filePath: path, contentType: "text" },
    // Unmasked on purpose: the value is needed for the fingerprint and to
    // mask every occurrence in the message; it is dropped right after.
    options: { config, maskSecrets: false, noPhysicFilePath: true },
  });
  const starts = lineStarts(text);
  const detections: Detection[] = [];
  for (const message of result.messages) {
    const { value, offset, sensitive } = locateValue(text, message);
    if (isPlaceholderCredential(message.ruleId, value)) continue;
    detections.push({
      rule: message.ruleId,
      messageId: message.messageId,
      title: titleOf(message.message),
      value,
      ...position(starts, offset),
      sensitive,
    });
  }
  return detections;
}
