/** `runbooks:aws`: the region, and whether this stack creates the account's GitHub OIDC provider. */
import { z } from "zod";
import { parseWith, type ConfigContext } from "./errors";

export const awsSchema = z
  .object({
    region: z
      .string()
      .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "must be an AWS region such as eu-west-1"),
    /** The account's GitHub OIDC provider: `create` it, or use the `existing` one (an account holds only one, so a second stack in the same account sets `existing`). */
    githubOidcProvider: z.enum(["create", "existing"]).default("create"),
    /**
     * `owner/name` of the repository whose pull requests may assume the read-only
     * preview role (the repository running the policy-review workflow). Default:
     * `github.owner/github.repository`.
     */
    previewRepository: z
      .string()
      .regex(
        /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/,
        "must be 'owner/name' of a GitHub repository, without wildcards",
      )
      .optional(),
  })
  .strict();

export type AwsConfig = z.infer<typeof awsSchema>;

/** Validate `runbooks:aws` alone. Throws `ConfigError`. */
export function parseAws(raw: unknown, context: ConfigContext): AwsConfig {
  return parseWith(awsSchema, raw, context, ["aws"]);
}
