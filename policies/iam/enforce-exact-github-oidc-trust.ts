import { describe, onTypes, tagOf, type RunbooksResourcePolicy } from "../lib/policy";
import { githubTrustProblems, parseDocument, type SubjectKind } from "../lib/iam-documents";
import { AWS, BACKUP_PURPOSE } from "../lib/types";

export interface OidcTrustConfig {
  /** What a trusted subject may name inside the one repository. */
  allowedSubjectKinds: SubjectKind[];
  /** The same for the backup role (tagged `purpose: backups`), which can write dumps. */
  backupRoleSubjectKinds: SubjectKind[];
}

/** `repo:org/*`, a StringLike or a missing `sub` lets any workflow of any repository assume the role. */
export const enforceExactGithubOidcTrust: RunbooksResourcePolicy = {
  name: "enforce-exact-github-oidc-trust",
  description:
    "Every role that trusts GitHub Actions through OIDC pins the audience and the exact subject of one repository's environment or pull requests, without wildcards.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Give the trust policy a StringEquals condition with token.actions.githubusercontent.com:aud = sts.amazonaws.com and token.actions.githubusercontent.com:sub = repo:<owner>/<repo>:environment:<env> (githubTrustPolicy in infra/backup-storage/iam.ts writes one); set runbooks:backup.oidcEnvironment to use an environment.",
  tags: ["aws", "iam", "github", "oidc"],
  configSchema: {
    properties: {
      allowedSubjectKinds: {
        type: "array",
        items: { type: "string", enum: ["environment", "branch", "pull_request"] },
        default: ["environment", "pull_request"],
      },
      backupRoleSubjectKinds: {
        type: "array",
        items: { type: "string", enum: ["environment", "branch", "pull_request"] },
        default: ["environment"],
      },
    },
  },
  validateResource: onTypes(AWS.role, (args, report) => {
    const config = args.getConfig<OidcTrustConfig>();
    const allowed =
      tagOf(args, "purpose") === BACKUP_PURPOSE
        ? config.backupRoleSubjectKinds
        : config.allowedSubjectKinds;
    const doc = parseDocument(args.props.assumeRolePolicy);
    if (!doc) return;
    for (const problem of githubTrustProblems(doc, allowed))
      report(`${describe(args)}: ${problem}`);
  }),
};
