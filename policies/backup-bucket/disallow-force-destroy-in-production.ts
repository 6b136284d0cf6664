import { describe, known, onTypes, stackOfUrn, type RunbooksResourcePolicy } from "../lib/policy";
import { AWS } from "../lib/types";

export interface ForceDestroyConfig {
  /** Stacks whose buckets must never be emptied by a `pulumi destroy`. */
  productionStacks: string[];
}

/** `forceDestroy` lets `pulumi destroy` (or a replacement) delete every object first: all backups, at once. */
export const disallowForceDestroyInProduction: RunbooksResourcePolicy = {
  name: "disallow-force-destroy-in-production",
  description:
    "No S3 bucket of a production stack sets forceDestroy, so no destroy or replacement can delete its objects along with it.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Remove forceDestroy (or set it to false) on the bucket; empty a bucket by hand, deliberately, if it really has to go.",
  tags: ["backups", "aws", "s3"],
  configSchema: {
    properties: {
      productionStacks: { type: "array", items: { type: "string" }, default: ["production"] },
    },
  },
  validateResource: onTypes(AWS.bucket, (args, report) => {
    const { productionStacks } = args.getConfig<ForceDestroyConfig>();
    const stack = stackOfUrn(args.urn);
    if (!productionStacks.includes(stack)) return;
    if (known(() => args.props.forceDestroy) === true)
      report(`${describe(args)} sets forceDestroy in production stack '${stack}'`);
  }),
};
