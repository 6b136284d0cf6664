import { isSet, knownString, onTypes, type RunbooksResourcePolicy } from "../lib/policy";
import { GITHUB } from "../lib/types";

/** Values that are somebody's reminder to fill in the real one, not a credential. */
const PLACEHOLDER =
  /^(|changeme|change-me|todo|tbd|xxx+|secret|password|placeholder|<[^>]*>|\$\{[^}]*\})$/i;

/**
 * The provider stores `value` / `plaintextValue` encrypted in state (it marks
 * them secret), and the program fills them only from secret config or a
 * rotated credential. A value sealed elsewhere (`encryptedValue`) never went
 * through Pulumi: nothing here can tell where its plaintext lives or rotate it.
 */
export const requireGithubSecretsFromPulumiSecrets: RunbooksResourcePolicy = {
  name: "require-github-secrets-from-pulumi-secrets",
  description:
    "Every GitHub Actions secret gets its value through Pulumi (a secret config key or a rotated credential), never as ciphertext sealed elsewhere or a placeholder.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Declare the secret under runbooks:github.secrets with secretRef <key> (pulumi config set --secret <key> …) or rotationRef, and drop encryptedValue; replace a placeholder with the real credential in secret config.",
  tags: ["github", "secrets"],
  validateResource: onTypes(GITHUB.secret, (args, report) => {
    const name = knownString(() => args.props.secretName) ?? args.name;
    for (const sealed of ["encryptedValue", "valueEncrypted"])
      if (isSet(() => args.props[sealed]))
        report(`GitHub secret ${name} is set from ${sealed}, a value sealed outside Pulumi`);
    const fields = ["value", "plaintextValue"].filter((f) => isSet(() => args.props[f]));
    if (
      fields.length === 0 &&
      !isSet(() => args.props.encryptedValue) &&
      !isSet(() => args.props.valueEncrypted)
    ) {
      report(`GitHub secret ${name} has no value`);
      return;
    }
    for (const field of fields) {
      const value = knownString(() => args.props[field]);
      if (value !== undefined && PLACEHOLDER.test(value.trim()))
        report(`GitHub secret ${name} holds a placeholder, not a credential`);
    }
  }),
};
