/** Shared IAM helpers: partitions, ARNs and the JSON IAM receives. */
import { describe, expect, it } from "vitest";
import { bucketArn, partitionForRegion } from "../../../infra/lib/aws-iam";

describe("helpers", () => {
  it("knows the partition of a region", () => {
    expect(partitionForRegion("eu-west-1")).toBe("aws");
    expect(partitionForRegion("us-gov-west-1")).toBe("aws-us-gov");
    expect(partitionForRegion("cn-north-1")).toBe("aws-cn");
    expect(bucketArn("aws-us-gov", "b")).toBe("arn:aws-us-gov:s3:::b");
  });
});
