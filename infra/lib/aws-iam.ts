/**
 * IAM policy documents as plain data, shared by every area that writes one.
 *
 * Kept free of Pulumi so each security property (TLS only, CMK only, exact
 * OIDC subject, least privilege) is a unit test on a JSON document.
 */

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | Record<string, string | string[]>;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** The ARN partition of a region (`aws`, `aws-us-gov`, `aws-cn`). */
export function partitionForRegion(region: string): string {
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("cn-")) return "aws-cn";
  return "aws";
}

export function bucketArn(partition: string, bucketName: string): string {
  return `arn:${partition}:s3:::${bucketName}`;
}

/** Serialize a document the way IAM receives it. */
export function policyJson(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}
