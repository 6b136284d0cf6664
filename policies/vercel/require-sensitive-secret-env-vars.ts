import { known, onTypes, type RunbooksResourcePolicy } from "../lib/policy";
import { VERCEL } from "../lib/types";
import { envVarFacts, PUBLIC_PREFIX } from "./secret-env";

/** A non-sensitive Vercel variable can be read back in the dashboard and the API by every project member. */
export const requireSensitiveSecretEnvVars: RunbooksResourcePolicy = {
  name: "require-sensitive-secret-env-vars",
  description:
    "Every Vercel environment variable whose name or value marks it as a secret is of the sensitive type, and no secret is exposed under NEXT_PUBLIC_.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Give the value through secretRef (pulumi config set --secret <key> …) in runbooks:vercel.env so the program creates it sensitive; a secret under a NEXT_PUBLIC_ name must be renamed and rotated, it has been shipped to browsers.",
  tags: ["vercel", "secrets"],
  validateResource: onTypes(VERCEL.envVar, (args, report) => {
    const { key, secretBecause } = envVarFacts(args);
    if (!secretBecause) return;
    if (key.startsWith(PUBLIC_PREFIX)) {
      report(`Vercel variable ${key} is public (${PUBLIC_PREFIX}) but ${secretBecause}`);
      return;
    }
    if (known(() => args.props.sensitive) !== true)
      report(`Vercel variable ${key} is not sensitive, but ${secretBecause}`);
  }),
};
