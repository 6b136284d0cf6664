/** Whether a Vercel variable holds a secret, by its name or by what its value looks like. */
import type { ResourceValidationArgs } from "@pulumi/policy";
import { SECRET_LOOKING_NAME } from "../../infra/config/index";
import { secretLookingValue } from "../../infra/github/plan";
import { knownString } from "../lib/policy";

/** `NEXT_PUBLIC_*` is inlined into the browser bundle: public by definition. */
export const PUBLIC_PREFIX = "NEXT_PUBLIC_";

export interface EnvVarFacts {
  key: string;
  /** Why the variable counts as a secret, or undefined. */
  secretBecause?: string;
}

export function envVarFacts(args: ResourceValidationArgs): EnvVarFacts {
  const key = knownString(() => args.props.key) ?? args.name;
  const value = knownString(() => args.props.value);
  const byValue = value === undefined ? undefined : secretLookingValue(value);
  if (byValue) return { key, secretBecause: `its value looks like ${byValue}` };
  if (!key.startsWith(PUBLIC_PREFIX) && SECRET_LOOKING_NAME.test(key))
    return { key, secretBecause: "its name marks it as a secret" };
  return { key };
}
