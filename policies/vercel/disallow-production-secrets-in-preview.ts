import { asList, known, onTypes, stackOfUrn, type RunbooksResourcePolicy } from "../lib/policy";
import { VERCEL } from "../lib/types";
import { envVarFacts } from "./secret-env";

export interface PreviewSecretsConfig {
  /** Variables the team agreed may carry the same secret to production and preview. */
  allowInPreview: string[];
  /** Stacks whose Vercel project serves real users (a staging project's "production" is staging). */
  productionStacks: string[];
}

/** Preview deployments run any branch's code: a production secret there is one pull request from leaking. */
export const disallowProductionSecretsInPreview: RunbooksResourcePolicy = {
  name: "disallow-production-secrets-in-preview",
  description:
    "No secret Vercel variable of a production stack targets production and preview at once, unless the team's config allows that variable.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Split the entry in runbooks:vercel.env: one for targets [production] with the production secret, one for [preview] with a preview-only credential; or add the key to allowInPreview in the policy pack's config.",
  tags: ["vercel", "secrets"],
  configSchema: {
    properties: {
      allowInPreview: { type: "array", items: { type: "string" }, default: [] },
      productionStacks: { type: "array", items: { type: "string" }, default: ["production"] },
    },
  },
  validateResource: onTypes(VERCEL.envVar, (args, report) => {
    const { allowInPreview, productionStacks } = args.getConfig<PreviewSecretsConfig>();
    if (!productionStacks.includes(stackOfUrn(args.urn))) return;
    const { key, secretBecause } = envVarFacts(args);
    const secret = known(() => args.props.sensitive) === true || secretBecause !== undefined;
    const targets = asList(known(() => args.props.targets as string[]));
    if (!secret || !targets.includes("production") || !targets.includes("preview")) return;
    if (allowInPreview.includes(key)) return;
    report(`Vercel variable ${key} holds a secret and targets both production and preview`);
  }),
};
