/**
 * Physical names for cloud resources, derived from project + stack.
 *
 * Every name this program gives a provider comes from here so that two stacks
 * (or two projects) in one account never collide, and so that a long project
 * or stack name is shortened the same way every time. When a name has to be
 * shortened, a short hash of the full name is kept: two different long names
 * never shorten to the same result, and a rerun produces the same name again
 * (so no resource is replaced by accident).
 *
 * Pure: no Pulumi, no I/O.
 */
import { createHash } from "node:crypto";

/** The identity every physical name is derived from. */
export interface NameContext {
  /** Pulumi project name, e.g. `runbooks`. */
  project: string;
  /** Pulumi stack name, e.g. `production`. */
  stack: string;
}

/** What a provider accepts for one kind of name. */
export interface NameRule {
  /** Human description used in errors. */
  kind: string;
  /** Longest accepted name, counting everything including `prefix`. */
  maxLength: number;
  /** Characters the provider accepts; everything else becomes `-`. */
  allowed: RegExp;
  /** Force lower case (S3 bucket names). */
  lowerCase: boolean;
  /** Fixed text in front of the derived name (KMS aliases need `alias/`). */
  prefix?: string;
  /** Names the provider reserves; a derived name matching one is rejected. */
  reserved?: RegExp;
}

/** Provider limits, each from the provider's own documentation of the name field. */
export const NAME_RULES = {
  /** S3: 3–63, lower-case letters, digits, '-', starting and ending alphanumeric. */
  s3Bucket: {
    kind: "S3 bucket name",
    maxLength: 63,
    allowed: /[a-z0-9-]/,
    lowerCase: true,
    reserved: /^(xn--|sthree-|amzn-s3-demo-)|(-s3alias|--ol-s3|--x-s3|--table-s3)$/,
  },
  /** IAM role names: up to 64 of `[\w+=,.@-]`. */
  iamRole: {
    kind: "IAM role name",
    maxLength: 64,
    allowed: /[A-Za-z0-9+=,.@_-]/,
    lowerCase: false,
  },
  /** IAM inline policy names: up to 128 of `[\w+=,.@-]`. */
  iamPolicy: {
    kind: "IAM policy name",
    maxLength: 128,
    allowed: /[A-Za-z0-9+=,.@_-]/,
    lowerCase: false,
  },
  /** SNS standard topic names: up to 256 of letters, digits, '-', '_'. */
  snsTopic: { kind: "SNS topic name", maxLength: 256, allowed: /[A-Za-z0-9_-]/, lowerCase: false },
  /** AWS Budgets names: up to 100; ':' and '\' are not allowed. */
  budget: { kind: "budget name", maxLength: 100, allowed: /[A-Za-z0-9_.-]/, lowerCase: false },
  /** CloudWatch alarm names: up to 255 printable ASCII characters. */
  alarm: {
    kind: "CloudWatch alarm name",
    maxLength: 255,
    allowed: /[A-Za-z0-9_.-]/,
    lowerCase: false,
  },
  /** KMS aliases: `alias/` + up to 250 of letters, digits, '/', '_', '-'; `alias/aws` is reserved. */
  kmsAlias: {
    kind: "KMS alias",
    maxLength: 256,
    allowed: /[A-Za-z0-9/_-]/,
    lowerCase: false,
    prefix: "alias/",
    reserved: /^alias\/aws/i,
  },
  /** AWS Chatbot configuration names: up to 128 of letters, digits, '-', '_'. */
  chatbotConfiguration: {
    kind: "AWS Chatbot configuration name",
    maxLength: 128,
    allowed: /[A-Za-z0-9_-]/,
    lowerCase: false,
  },
} as const satisfies Record<string, NameRule>;

/** Hex characters of the hash kept when a name is shortened. */
export const HASH_LENGTH = 8;

/** First `length` hex characters of the SHA-256 of `input`. */
export function shortHash(input: string, length = HASH_LENGTH): string {
  return createHash("sha256").update(input, "utf8").digest("hex").slice(0, length);
}

/** Replace characters the rule does not allow, collapse and trim separators. */
export function sanitizeNamePart(part: string, rule: NameRule): string {
  const cased = rule.lowerCase ? part.toLowerCase() : part;
  let out = "";
  for (const ch of cased) out += rule.allowed.test(ch) ? ch : "-";
  return out.replace(/-{2,}/g, "-").replace(/^[-_.]+|[-_.]+$/g, "");
}

/**
 * `<project>-<stack>-<suffix…>` within the rule's limits.
 *
 * If the full name is too long, the project/stack head is shortened first so
 * the suffix (what the resource is: `backups`, `p0`) stays readable, and the
 * hash of the full, unshortened name is inserted after it.
 */
export function physicalName(
  context: NameContext,
  suffix: readonly string[],
  rule: NameRule,
): string {
  const prefix = rule.prefix ?? "";
  const head = [context.project, context.stack]
    .map((p) => sanitizeNamePart(p, rule))
    .filter(Boolean)
    .join("-");
  const tail = suffix
    .map((p) => sanitizeNamePart(p, rule))
    .filter(Boolean)
    .join("-");
  if (head === "") {
    throw new Error(
      `cannot derive a ${rule.kind}: project '${context.project}' and stack '${context.stack}' have no usable characters`,
    );
  }
  const full = tail === "" ? head : `${head}-${tail}`;
  const budget = rule.maxLength - prefix.length;
  let name: string;
  if (full.length <= budget) {
    name = full;
  } else {
    const hash = shortHash(
      `${context.project}\u0000${context.stack}\u0000${suffix.join("\u0000")}`,
    );
    const room = budget - hash.length - 1 - (tail === "" ? 0 : tail.length + 1);
    if (room >= 1) {
      const shortHead = trimEnd(head.slice(0, room));
      name = [shortHead, hash, tail].filter(Boolean).join("-");
    } else {
      name = `${trimEnd(full.slice(0, budget - hash.length - 1))}-${hash}`;
    }
  }
  const result = `${prefix}${name}`;
  if (rule.reserved?.test(result)) {
    throw new Error(
      `the derived ${rule.kind} '${result}' uses a prefix or suffix AWS reserves; rename the Pulumi project or stack`,
    );
  }
  if (result.length > rule.maxLength) {
    // Unreachable by construction; kept so a rule change can never ship an invalid name.
    throw new Error(
      `internal: derived ${rule.kind} '${result}' exceeds ${rule.maxLength} characters`,
    );
  }
  return result;
}

function trimEnd(s: string): string {
  return s.replace(/[-_.]+$/, "");
}

// ---------------------------------------------------------------------------
// The names this program uses, one function per resource kind
// ---------------------------------------------------------------------------

/**
 * The backup bucket. S3 names are global across all AWS accounts, so the
 * account id is part of the name: the same project+stack in two accounts (or a
 * stranger's account) never collides.
 */
export function backupBucketName(context: NameContext, accountId: string): string {
  if (!/^\d{12}$/.test(accountId))
    throw new Error(`expected a 12-digit AWS account id, got '${accountId}'`);
  return physicalName(context, ["backups", accountId], NAME_RULES.s3Bucket);
}

/** The customer-managed KMS key's alias for the backup bucket. */
export function backupKeyAlias(context: NameContext): string {
  return physicalName(context, ["backups"], NAME_RULES.kmsAlias);
}

/** The role GitHub Actions assumes to write backups. */
export function backupRoleName(context: NameContext): string {
  return physicalName(context, ["backup-gha"], NAME_RULES.iamRole);
}

/** The read-only role pull-request previews assume. */
export function previewRoleName(context: NameContext): string {
  return physicalName(context, ["preview-gha"], NAME_RULES.iamRole);
}

/**
 * The SNS topic of one severity, e.g. `runbooks-production-p0`. Topic names are
 * per region, so the us-east-1 copy for the health-check alarm has the same name.
 */
export function severityTopicName(context: NameContext, severity: string): string {
  return physicalName(context, [severity.toLowerCase()], NAME_RULES.snsTopic);
}

/** A CloudWatch alarm, e.g. `runbooks-production-app-down`. */
export function alarmName(context: NameContext, what: string): string {
  return physicalName(context, [what], NAME_RULES.alarm);
}

/** An AWS budget, from the name given in config. */
export function budgetName(context: NameContext, configName: string): string {
  return physicalName(context, [configName], NAME_RULES.budget);
}

/** The AWS Chatbot channel configuration for one severity. */
export function chatbotConfigurationName(context: NameContext, severity: string): string {
  return physicalName(
    context,
    ["chatbot", severity.toLowerCase()],
    NAME_RULES.chatbotConfiguration,
  );
}

/** The role AWS Chatbot assumes. */
export function chatbotRoleName(context: NameContext): string {
  return physicalName(context, ["chatbot"], NAME_RULES.iamRole);
}
