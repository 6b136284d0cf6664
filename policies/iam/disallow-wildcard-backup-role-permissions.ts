import type { PolicyResource } from "@pulumi/policy";
import {
  asList,
  attachedTo,
  describe,
  known,
  knownString,
  tagOf,
  type RunbooksStackPolicy,
} from "../lib/policy";
import { parseDocument, wildcardGrants } from "../lib/iam-documents";
import { AWS, BACKUP_PURPOSE } from "../lib/types";

export interface WildcardConfig {
  /** Actions AWS offers no resource-level permission for, allowed on `*` with a condition. */
  resourceWildcardActions: string[];
}

/** A stolen backup token should reach the backup prefix and nothing else. */
export const disallowWildcardBackupRolePermissions: RunbooksStackPolicy = {
  name: "disallow-wildcard-backup-role-permissions",
  description:
    "The backup role's policies grant no '*' or 'service:*' actions and no '*' resources, and no managed policy is attached to it.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Name each action and the exact bucket, prefix and key ARNs in the role's inline policy (backupAccessPolicy in infra/backup-storage/iam.ts), and detach managed policies; an action without resource-level permissions belongs in resourceWildcardActions with a condition that narrows it.",
  tags: ["backups", "aws", "iam"],
  configSchema: {
    properties: {
      resourceWildcardActions: {
        type: "array",
        items: { type: "string" },
        default: ["cloudwatch:PutMetricData"],
      },
    },
  },
  validateStack: (args, report) => {
    const { resourceWildcardActions } = args.getConfig<WildcardConfig>();
    const roles = args.resources.filter(
      (r) =>
        (AWS.role as readonly string[]).includes(r.type) && tagOf(r, "purpose") === BACKUP_PURPOSE,
    );
    for (const role of roles) {
      const documents: { where: PolicyResource; label: string; text: unknown }[] = [];
      for (const inline of asList(
        known(() => role.props.inlinePolicies as { name?: string; policy?: unknown }[]),
      ))
        documents.push({
          where: role,
          label: `inline policy '${known(() => inline.name) ?? ""}'`,
          text: inline.policy,
        });
      for (const p of attachedTo(args.resources, AWS.rolePolicy, "role", role))
        documents.push({ where: p, label: describe(p), text: p.props.policy });
      for (const a of attachedTo(args.resources, AWS.rolePolicyAttachment, "role", role))
        report(
          `${describe(role)} has the managed policy ${knownString(() => a.props.policyArn) ?? "(unknown ARN)"} attached; its permissions are not reviewed here`,
          a.urn,
        );
      for (const { where, label, text } of documents) {
        const doc = parseDocument(text);
        if (!doc) {
          report(`${describe(role)}: ${label} is not a JSON policy document`, where.urn);
          continue;
        }
        for (const problem of wildcardGrants(doc, resourceWildcardActions))
          report(`${describe(role)}: ${label}: ${problem}`, where.urn);
      }
    }
  },
};
