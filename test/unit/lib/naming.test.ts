import { describe, expect, it } from "vitest";
import {
  NAME_RULES,
  alarmName,
  backupBucketName,
  backupKeyAlias,
  backupRoleName,
  budgetName,
  chatbotConfigurationName,
  physicalName,
  sanitizeNamePart,
  severityTopicName,
  shortHash,
} from "../../../infra/lib/naming";

const context = { project: "runbooks", stack: "production" };
const longContext = {
  project: "acme-incident-response-runbooks-as-code-project",
  stack: "production-eu-west-1-blue-green-canary",
};

describe("physical names", () => {
  it("derives readable names from project, stack and purpose", () => {
    expect(backupBucketName(context, "123456789012")).toBe(
      "runbooks-production-backups-123456789012",
    );
    expect(backupKeyAlias(context)).toBe("alias/runbooks-production-backups");
    expect(backupRoleName(context)).toBe("runbooks-production-backup-gha");
    expect(severityTopicName(context, "P0")).toBe("runbooks-production-p0");
    expect(alarmName(context, "app-down")).toBe("runbooks-production-app-down");
    expect(budgetName(context, "production-monthly")).toBe(
      "runbooks-production-production-monthly",
    );
    expect(chatbotConfigurationName(context, "P1")).toBe("runbooks-production-chatbot-p1");
  });

  it("lower-cases S3 names and replaces characters S3 does not accept", () => {
    const name = backupBucketName({ project: "Runbooks_App", stack: "Prod.EU" }, "123456789012");
    expect(name).toBe("runbooks-app-prod-eu-backups-123456789012");
    expect(name).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
  });

  it.each([
    ["s3Bucket", 63],
    ["iamRole", 64],
    ["snsTopic", 256],
    ["budget", 100],
    ["alarm", 255],
    ["kmsAlias", 256],
    ["chatbotConfiguration", 128],
  ] as const)(
    "keeps %s names within %i characters, keeping the purpose and a hash",
    (rule, max) => {
      const huge = { project: "p".repeat(300), stack: "s".repeat(300) };
      const name = physicalName(huge, ["backups"], NAME_RULES[rule]);
      expect(name.length).toBeLessThanOrEqual(max);
      expect(name.endsWith("-backups")).toBe(true);
      expect(name).toContain(shortHash(`${huge.project}\u0000${huge.stack}\u0000backups`));
    },
  );

  it("shortens long names deterministically and distinctly", () => {
    const a = backupRoleName(longContext);
    expect(a.length).toBeLessThanOrEqual(64);
    expect(backupRoleName(longContext)).toBe(a);
    expect(backupRoleName({ ...longContext, stack: `${longContext.stack}-2` })).not.toBe(a);
    // Two stacks differing only beyond the cut still get different names.
    const b1 = backupBucketName(
      { project: longContext.project, stack: "production-aaaaaaaaaaaaaaaaaaaaaaaaaaaa-1" },
      "123456789012",
    );
    const b2 = backupBucketName(
      { project: longContext.project, stack: "production-aaaaaaaaaaaaaaaaaaaaaaaaaaaa-2" },
      "123456789012",
    );
    expect(b1.length).toBeLessThanOrEqual(63);
    expect(b1).not.toBe(b2);
  });

  it("does not shorten names that fit", () => {
    const exact = physicalName(
      { project: "a".repeat(30), stack: "b".repeat(24) },
      ["backups"],
      NAME_RULES.iamRole,
    );
    expect(exact).toBe(`${"a".repeat(30)}-${"b".repeat(24)}-backups`);
    expect(exact.length).toBe(63);
  });

  it("truncates the whole name when even the purpose does not fit", () => {
    const name = physicalName(context, ["x".repeat(80)], NAME_RULES.iamRole);
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/-[0-9a-f]{8}$/);
  });

  it("rejects names AWS reserves", () => {
    expect(() => backupKeyAlias({ project: "aws", stack: "prod" })).toThrow(
      /KMS alias 'alias\/aws-prod-backups' uses a prefix or suffix AWS reserves/,
    );
    expect(() =>
      backupBucketName({ project: "amzn-s3-demo", stack: "prod" }, "123456789012"),
    ).toThrow(/reserves/);
  });

  it("rejects a project and stack with no usable characters, and a malformed account id", () => {
    expect(() =>
      physicalName({ project: "___", stack: "..." }, ["x"], NAME_RULES.s3Bucket),
    ).toThrow(/no usable characters/);
    expect(() => backupBucketName(context, "12345")).toThrow(/12-digit AWS account id/);
  });

  it("sanitizes parts: collapses separators and trims them at the ends", () => {
    expect(sanitizeNamePart("--Hello  World!!--", NAME_RULES.s3Bucket)).toBe("hello-world");
    expect(sanitizeNamePart("a@b", NAME_RULES.iamRole)).toBe("a@b");
    expect(sanitizeNamePart("a@b", NAME_RULES.snsTopic)).toBe("a-b");
  });
});
