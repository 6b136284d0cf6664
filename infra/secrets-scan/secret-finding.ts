/**
 * Turns a raw detection into a finding: finding id, severity, where, what to
 * do. This is the last place a secret's value exists; what leaves here is
 * masked, and a final check refuses to return text that still contains it.
 */
import { redactSecrets } from "../lib/redact";
import { detectorFor } from "./catalog";
import type { Detection } from "./detect";
import { maskSecret, maskValuesIn, secretFingerprint } from "./mask";
import type { SecretFinding, SecretLocation } from "./types";

export const ALLOWLIST_FILE = ".secrets-allowlist.yaml";

function describeWhere(location: SecretLocation): string {
  const at = `${location.path}:${location.line}`;
  if (location.source === "history") {
    return `${at} in commit ${location.commit?.slice(0, 12)} (${location.authorDate})`;
  }
  return location.source === "staged" ? `${at} (staged)` : at;
}

function fixFor(
  location: SecretLocation,
  title: string,
  rotate: string,
  fingerprint: string,
): string {
  const first = `Rotate the ${title} first, because it is already exposed to everyone who can read this repository or a clone of it: ${rotate}.`;
  const allow = `Only if it is a fake or already-revoked value, add an entry with a reason to ${ALLOWLIST_FILE} (fingerprint: ${fingerprint}).`;
  if (location.source === "history") {
    return [
      first,
      `Then purge it from history: run \`git filter-repo --replace-text <file>\` with a file (kept outside the repository) that lists the value, or \`git filter-repo --invert-paths --path ${location.path}\` to drop the file, force-push every branch and tag, and have every collaborator re-clone.`,
      "GitHub can keep the old commits reachable through cached views, forks and pull-request refs until GitHub Support removes them, so purging never replaces rotation.",
      allow,
    ].join(" ");
  }
  const unstage =
    location.source === "staged"
      ? ` and unstage it (\`git restore --staged ${location.path}\`) so it never reaches a commit`
      : "";
  return [
    first,
    `Then remove it from ${location.path}${unstage}, and read it at run time from the environment or the secret store instead.`,
    allow,
  ].join(" ");
}

/** The masked finding for one detection; `location` is already mapped to file lines. */
export function toSecretFinding(detection: Detection, location: SecretLocation): SecretFinding {
  const detector = detectorFor(detection.rule, detection.messageId);
  const fingerprint = secretFingerprint(detector.id, location.path, detection.value);
  const masked = maskSecret(detection.value);
  const sensitive = [detection.value, ...detection.sensitive];
  const title = maskValuesIn(detection.title, sensitive) || detector.description;
  const where = describeWhere(location);
  const verb = location.source === "history" ? "was committed" : "is";
  const details = [
    `value: ${masked}`,
    `rule: ${detection.rule} (${detection.messageId})`,
    `fingerprint: ${fingerprint}`,
  ];
  if (location.commit)
    details.push(`commit: ${location.commit}`, `author date: ${location.authorDate}`);
  const finding: SecretFinding = {
    id: detector.id,
    severity: detector.severity,
    subject: where,
    message: `${title.charAt(0).toUpperCase()}${title.slice(1)} ${verb} in ${location.path} at line ${location.line}: ${masked}.`,
    fix: fixFor(location, title, detector.rotate, fingerprint),
    details,
    location,
    rule: detection.rule,
    messageId: detection.messageId,
    masked,
    fingerprint,
  };
  return assertMasked(finding, sensitive);
}

/**
 * The guard behind the masking: if any text still holds a value (a rule that
 * puts it somewhere unexpected), redact it rather than return it.
 */
function assertMasked(finding: SecretFinding, values: readonly string[]): SecretFinding {
  const redact = (text: string) => redactSecrets(text, values);
  return {
    ...finding,
    subject: redact(finding.subject),
    message: redact(finding.message),
    fix: redact(finding.fix),
    details: finding.details?.map(redact),
  };
}
