/**
 * A secretlint scanner rule from one regular expression: the shape shared by
 * this project's own rules, so each rule file holds only its pattern, its
 * check and its metadata.
 */
import type { SecretLintRuleCreator } from "@secretlint/types";

export interface PatternRuleSpec {
  /** secretlint rule id, e.g. `runbooks/supabase-secret-key`. */
  ruleId: string;
  messageId: string;
  /** What was found, e.g. "Supabase secret API key"; the message is `found <title>: <value>`. */
  title: string;
  /** Must have the `g` flag. The whole match is the secret. */
  pattern: RegExp;
  /** Second look at a match (decode it, reject placeholders); true keeps it. */
  accept?: (match: string) => boolean;
}

export function createPatternRule(spec: PatternRuleSpec): SecretLintRuleCreator {
  if (!spec.pattern.flags.includes("g")) {
    throw new Error(`${spec.ruleId}: the pattern needs the g flag to find every occurrence`);
  }
  const messages = {
    [spec.messageId]: { en: (props?: { VALUE: string }) => `found ${spec.title}: ${props?.VALUE}` },
  };
  return {
    messages,
    meta: {
      id: spec.ruleId,
      recommended: true,
      type: "scanner",
      supportedContentTypes: ["text"],
    },
    create(context) {
      const t = context.createTranslator(messages);
      return {
        file(source) {
          for (const match of source.content.matchAll(spec.pattern)) {
            const value = match[0];
            if (spec.accept && !spec.accept(value)) continue;
            const start = match.index ?? 0;
            context.report({
              message: t(spec.messageId, { VALUE: value }),
              range: [start, start + value.length],
            });
          }
        },
      };
    },
  };
}

/** Placeholders such as `sb_secret_xxxxxxxxxxxxxxxxxxxx` repeat a few characters; real keys do not. */
export function looksRandom(body: string, minDistinct = 8): boolean {
  return new Set(body).size >= minDistinct;
}
