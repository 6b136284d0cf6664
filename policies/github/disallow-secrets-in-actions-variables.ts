import { SECRET_LOOKING_NAME } from "../../infra/config/index";
import { secretLookingValue } from "../../infra/github/plan";
import { knownString, onTypes, type RunbooksResourcePolicy } from "../lib/policy";
import { GITHUB } from "../lib/types";

/** Actions variables are plain text for anyone who can read the repository, and appear in logs unmasked. */
export const disallowSecretsInActionsVariables: RunbooksResourcePolicy = {
  name: "disallow-secrets-in-actions-variables",
  description:
    "No GitHub Actions variable has a secret-looking name or a value that looks like a credential.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Move the value to runbooks:github.secrets with a secretRef (pulumi config set --secret <key> …); if a credential was ever stored as a variable, rotate it: it is in the repository's settings history.",
  tags: ["github", "secrets"],
  validateResource: onTypes(GITHUB.variable, (args, report) => {
    const name = knownString(() => args.props.variableName) ?? args.name;
    const value = knownString(() => args.props.value);
    const looksLike = value === undefined ? undefined : secretLookingValue(value);
    // The message names the kind of value, never the value.
    if (looksLike) report(`GitHub variable ${name} holds what looks like ${looksLike}`);
    else if (SECRET_LOOKING_NAME.test(name))
      report(`GitHub variable ${name} has a name that marks it as a secret`);
  }),
};
