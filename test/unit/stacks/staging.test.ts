/**
 * The staging stack file builds the full platform graph; plus what is
 * specific to staging (workflows kept in this repository, no Object Lock).
 */
import { describe, expect, it } from "vitest";
import { buildStackGraph, describeGraphInvariants } from "../../support/mocks/graph-checks";

const graph = buildStackGraph("staging");
describeGraphInvariants("staging", graph);

describe("stack 'staging': specifics", () => {
  it("keeps workflows in this repository instead of committing them", () => {
    const { recorder, outputs } = graph();
    expect(recorder.ofType("github:index/repositoryFile:RepositoryFile")).toHaveLength(0);
    expect(outputs.github?.workflowFiles).toEqual({
      location: "this repository (.github/workflows/)",
      paths: [
        ".github/workflows/runbooks-backup-staging.yml",
        ".github/workflows/runbooks-health-staging.yml",
      ],
    });
  });

  it("creates no Object Lock configuration", () => {
    const { recorder } = graph();
    expect(
      recorder.ofType("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"),
    ).toHaveLength(0);
    expect(recorder.one("aws:s3/bucket:Bucket").inputs.objectLockEnabled).toBe(false);
  });
});
