import { ROTATED_SECRET_INPUTS, ROTATION_TYPE_PREFIX } from "../contracts";
import { known, knownString, onTypePrefix, type RunbooksResourcePolicy } from "../lib/policy";

export interface MaxAgeConfig {
  /** The longest any value of a managed secret may stay valid. */
  maxAgeDays: number;
}

/** The age of a leaked credential is the window an attacker has; rotation bounds it. */
export const enforceRotatedSecretMaxAge: RunbooksResourcePolicy = {
  name: "enforce-rotated-secret-max-age",
  description:
    "Every managed secret declares a maximum age, and it is at or under the team's limit.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Lower runbooks:rotation.credentials[].intervalDays (or overlapMinutes) for the credential so interval plus overlap stays within the limit, or raise maxAgeDays in the policy pack's config if the team agreed to a longer one.",
  tags: ["rotation", "secrets"],
  configSchema: {
    properties: { maxAgeDays: { type: "number", exclusiveMinimum: 0, default: 90 } },
  },
  validateResource: onTypePrefix(ROTATION_TYPE_PREFIX, (args, report) => {
    const { maxAgeDays } = args.getConfig<MaxAgeConfig>();
    const name = knownString(() => args.props[ROTATED_SECRET_INPUTS.name]) ?? args.name;
    const age = known(() => args.props[ROTATED_SECRET_INPUTS.maxAgeDays]);
    if (typeof age !== "number" || !Number.isFinite(age))
      report(
        `managed secret ${name} declares no ${ROTATED_SECRET_INPUTS.maxAgeDays}, so nothing bounds how long a leaked value stays valid`,
      );
    else if (age > maxAgeDays)
      report(
        `managed secret ${name} may stay valid for ${age} days, over the limit of ${maxAgeDays}`,
      );
  }),
};
