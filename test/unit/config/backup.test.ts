import { describe, expect, it } from "vitest";
import { parseBackup } from "../../../infra/config/index";
import { context, errorOf, keysOf, thrown, withChange } from "./fixtures";

describe("runbooks:backup", () => {
  it("rejects an archive transition at or after expiry", () => {
    expect(
      keysOf(withChange((r) => (r.backup = { archiveAfterDays: 90, retentionDays: 90 }))),
    ).toEqual(["runbooks:backup.archiveAfterDays"]);
  });

  it("rejects an Object Lock longer than the retention window", () => {
    expect(
      keysOf(
        withChange(
          (r) =>
            (r.backup = {
              retentionDays: 30,
              archiveAfterDays: 7,
              objectLock: { mode: "COMPLIANCE", retentionDays: 60 },
            }),
        ),
      ),
    ).toEqual(["runbooks:backup.objectLock.retentionDays"]);
  });

  it("rejects an unknown bucket mode, naming the valid ones", () => {
    const err = errorOf(withChange((r) => (r.backup = { bucket: { mode: "import" } })));
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:backup.bucket.mode"]);
    expect(err.problems[0]!.message).toBe(
      "must be one of create | existing | skip, but is the string 'import'",
    );
  });

  it("requires a name for an existing bucket", () => {
    expect(keysOf(withChange((r) => (r.backup = { bucket: { mode: "existing" } })))).toEqual([
      "runbooks:backup.bucket.name",
    ]);
  });

  it("suggests the bucket field a typo meant", () => {
    const err = errorOf(
      withChange((r) => (r.backup = { bucket: { mode: "existing", nmae: "my-dumps" } })),
    );
    expect(err.problems.map((p) => [p.key, p.message])).toEqual([
      ["runbooks:backup.bucket.name", "is required but not set"],
      ["runbooks:backup.bucket", "unknown key 'nmae'; did you mean 'name'?"],
    ]);
  });

  it("rejects a backup schedule that is not 5-field cron", () => {
    expect(keysOf(withChange((r) => (r.backup = { schedule: "daily" })))).toEqual([
      "runbooks:backup.schedule",
    ]);
  });

  it("parseBackup fills the defaults when the key is absent, and names the key on error", () => {
    expect(parseBackup(undefined, context)).toMatchObject({
      bucket: { mode: "create" },
      retentionDays: 90,
    });
    expect(
      thrown(() => parseBackup({ abortIncompleteMultipartDays: 40 }, context)).problems.map((p) => [
        p.key,
        p.message,
      ]),
    ).toEqual([["runbooks:backup.abortIncompleteMultipartDays", "must be at most 30, but is 40"]]);
  });
});
