/**
 * The one place tags are decided.
 *
 * Every taggable AWS resource gets the same four tags, so cost reports and
 * "who owns this?" questions always have an answer. Components call `tags()`
 * explicitly (rather than relying on a provider's `defaultTags`) so the tags
 * are visible in each resource's inputs and a unit test can check that no
 * taggable resource was missed.
 *
 * Pure: no Pulumi.
 */

/** Who and what a resource belongs to. */
export interface TagContext {
  /** Pulumi project name. */
  project: string;
  /** Pulumi stack name. */
  stack: string;
  /** Owning team or person (`runbooks:owner`). */
  owner: string;
}

/** The keys every taggable resource carries. */
export const REQUIRED_TAG_KEYS = ["project", "stack", "owner", "managed-by"] as const;

export const MANAGED_BY = "pulumi/runbooks-as-code";

/** AWS tag values: up to 256 of letters, digits, spaces and `_ . : / = + - @`. */
export function sanitizeTagValue(value: string): string {
  return value.replace(/[^\p{L}\p{N}\s_.:/=+\-@]/gu, "_").slice(0, 256);
}

/** The required tags for this context. */
export function standardTags(
  context: TagContext,
): Record<(typeof REQUIRED_TAG_KEYS)[number], string> {
  return {
    project: sanitizeTagValue(context.project),
    stack: sanitizeTagValue(context.stack),
    owner: sanitizeTagValue(context.owner),
    "managed-by": MANAGED_BY,
  };
}

/**
 * The required tags plus resource-specific ones. The required tags win, so no
 * caller can accidentally blank the owner.
 */
export function tags(
  context: TagContext,
  extra: Record<string, string> = {},
): Record<string, string> {
  const cleaned = Object.fromEntries(
    Object.entries(extra).map(([k, v]) => [k, sanitizeTagValue(v)]),
  );
  return { ...cleaned, ...standardTags(context) };
}
