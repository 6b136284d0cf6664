/**
 * The IAM role GitHub Actions assumes to write backups, through OIDC: the
 * workflow gets short-lived credentials for one job, and no AWS access key
 * exists anywhere.
 *
 * The trust policy names the exact repository and branch (or environment): no
 * wildcard, so a fork, another repository of the same owner or another branch
 * cannot assume the role.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { backupRoleName, physicalName, NAME_RULES } from "../lib/naming";
import { tags, type TagContext } from "../lib/tags";
import {
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_HOST,
  GITHUB_OIDC_URL,
  backupAccessPolicy,
  githubOidcSubjects,
  githubTrustPolicy,
  type GithubSubjectArgs,
} from "./iam";
import { policyJson } from "../lib/aws-iam";
import { BACKUP_SESSION_SECONDS } from "./plan";

export { BACKUP_SESSION_SECONDS };

export interface GithubOidcRoleArgs {
  /** Project, stack and owner: the source of every physical name and tag. */
  context: TagContext;
  /**
   * `create` the account's GitHub OIDC provider, or use the `existing` one.
   * An account holds at most one provider per issuer URL, so a second stack in
   * the same account must use `existing`.
   */
  oidcProvider: "create" | "existing";
  /** The AWS account id (builds the existing provider's ARN). */
  accountId: pulumi.Input<string>;
  /** ARN partition of the stack's region. */
  partition: string;
  /** The stack's region (limits KMS use to S3 in this region). */
  region: string;
  /** Repository, branch and environment allowed to assume the role. */
  subject: GithubSubjectArgs;
  /** The backup bucket's ARN. */
  bucketArn: pulumi.Input<string>;
  /** Key prefix the role may read and write. */
  prefix: string;
  /** The bucket's customer-managed key. */
  kmsKeyArn: pulumi.Input<string>;
  /** CloudWatch namespace the backup job publishes its freshness metric to. */
  metricNamespace: string;
}

export class GithubOidcRole extends pulumi.ComponentResource {
  /** ARN of the role; set it as `role-to-assume` in the workflow. */
  readonly roleArn: pulumi.Output<string>;
  /** Name of the role. */
  readonly roleName: pulumi.Output<string>;
  /** ARN of the GitHub OIDC provider the role trusts. */
  readonly oidcProviderArn: pulumi.Output<string>;
  /** The exact `sub` claims the role trusts. */
  readonly subjects: string[];

  private readonly args: GithubOidcRoleArgs;

  constructor(name: string, args: GithubOidcRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("runbooks:aws:GithubOidcRole", name, {}, opts);
    this.args = args;
    this.subjects = githubOidcSubjects(args.subject);

    this.oidcProviderArn = this.oidcProvider(name);
    const role = this.createRole(name);
    this.grantBackupAccess(name, role);
    this.roleArn = role.arn;
    this.roleName = role.name;

    this.registerOutputs({
      roleArn: this.roleArn,
      roleName: this.roleName,
      oidcProviderArn: this.oidcProviderArn,
    });
  }

  private oidcProvider(name: string): pulumi.Output<string> {
    if (this.args.oidcProvider === "existing") {
      const partition = this.args.partition;
      return pulumi.interpolate`arn:${partition}:iam::${this.args.accountId}:oidc-provider/${GITHUB_OIDC_HOST}`;
    }
    // No thumbprint: AWS validates GitHub's certificate against its own trust store.
    const provider = new aws.iam.OpenIdConnectProvider(
      `${name}-github-oidc`,
      {
        url: GITHUB_OIDC_URL,
        clientIdLists: [GITHUB_OIDC_AUDIENCE],
        tags: tags(this.args.context, { purpose: "github-actions-oidc" }),
      },
      { parent: this },
    );
    return provider.arn;
  }

  private createRole(name: string): aws.iam.Role {
    const subjects = this.subjects;
    return new aws.iam.Role(
      `${name}-role`,
      {
        name: backupRoleName(this.args.context),
        description: `GitHub Actions backup job of ${subjects.join(", ")}`,
        assumeRolePolicy: this.oidcProviderArn.apply((providerArn) =>
          policyJson(githubTrustPolicy({ providerArn, subjects })),
        ),
        maxSessionDuration: BACKUP_SESSION_SECONDS,
        tags: tags(this.args.context, { purpose: "backups" }),
      },
      { parent: this },
    );
  }

  private grantBackupAccess(name: string, role: aws.iam.Role): void {
    const { prefix, region, metricNamespace } = this.args;
    new aws.iam.RolePolicy(
      `${name}-access`,
      {
        name: physicalName(this.args.context, ["backup-access"], NAME_RULES.iamPolicy),
        role: role.id,
        policy: pulumi
          .all([this.args.bucketArn, this.args.kmsKeyArn])
          .apply(([bucketArn, kmsKeyArn]) =>
            policyJson(
              backupAccessPolicy({ bucketArn, prefix, kmsKeyArn, region, metricNamespace }),
            ),
          ),
      },
      { parent: this },
    );
  }
}
