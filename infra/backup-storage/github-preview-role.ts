/**
 * The read-only role `pulumi preview` assumes in pull-request workflows,
 * through the same GitHub OIDC provider as the backup role.
 *
 * Trusted only for pull requests of one repository (the one that runs the
 * policy review), with no wildcard: pushes, other branches' workflows, other
 * repositories and forks cannot assume it. It may read the settings of what
 * this program manages and can change nothing; reading a dump is denied
 * explicitly.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyJson } from "../lib/aws-iam";
import { NAME_RULES, physicalName, previewRoleName } from "../lib/naming";
import { tags, type TagContext } from "../lib/tags";
import { githubPullRequestSubject, githubTrustPolicy, previewReadPolicy } from "./iam";

/** A preview takes minutes; an hour is the shortest session IAM allows. */
export const PREVIEW_SESSION_SECONDS = 3600;

export interface GithubPreviewRoleArgs {
  /** Project, stack and owner: the source of every physical name and tag. */
  context: TagContext;
  /** ARN of the account's GitHub OIDC provider (see `GithubOidcRole.oidcProviderArn`). */
  oidcProviderArn: pulumi.Input<string>;
  /** `owner/name` of the repository whose pull requests run previews. */
  repository: string;
}

export class GithubPreviewRole extends pulumi.ComponentResource {
  /** ARN of the role; the policy-review workflow reads it from the stack outputs. */
  readonly roleArn: pulumi.Output<string>;
  /** The exact `sub` claim the role trusts. */
  readonly subject: string;

  constructor(name: string, args: GithubPreviewRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("runbooks:aws:GithubPreviewRole", name, {}, opts);
    this.subject = githubPullRequestSubject(args.repository);
    const subjects = [this.subject];
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        name: previewRoleName(args.context),
        description: `Read-only pulumi preview for pull requests of ${args.repository}`,
        assumeRolePolicy: pulumi
          .output(args.oidcProviderArn)
          .apply((providerArn) => policyJson(githubTrustPolicy({ providerArn, subjects }))),
        maxSessionDuration: PREVIEW_SESSION_SECONDS,
        tags: tags(args.context, { purpose: "pull-request-preview" }),
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-read`,
      {
        name: physicalName(args.context, ["preview-read"], NAME_RULES.iamPolicy),
        role: role.id,
        policy: policyJson(previewReadPolicy()),
      },
      { parent: this },
    );
    this.roleArn = role.arn;
    this.registerOutputs({ roleArn: this.roleArn, subject: this.subject });
  }
}
