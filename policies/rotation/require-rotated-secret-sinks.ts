import { ROTATED_SECRET_INPUTS, ROTATION_TYPE_PREFIX } from "../contracts";
import {
  asList,
  known,
  knownString,
  onTypePrefix,
  type RunbooksResourcePolicy,
} from "../lib/policy";

/** A rotated value that reaches no sink is a rotation nobody uses: the app keeps the old key until revocation breaks it. */
export const requireRotatedSecretSinks: RunbooksResourcePolicy = {
  name: "require-rotated-secret-sinks",
  description:
    "Every managed secret is written to at least one sink (a Vercel variable or a GitHub Actions secret).",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Reference the credential with rotationRef from runbooks:vercel.env or runbooks:github.secrets, or remove it from runbooks:rotation.credentials if nothing uses it.",
  tags: ["rotation", "secrets"],
  validateResource: onTypePrefix(ROTATION_TYPE_PREFIX, (args, report) => {
    const name = knownString(() => args.props[ROTATED_SECRET_INPUTS.name]) ?? args.name;
    const sinks = asList(known(() => args.props[ROTATED_SECRET_INPUTS.sinks] as unknown[]));
    if (sinks.length === 0) report(`managed secret ${name} is written to no sink`);
  }),
};
