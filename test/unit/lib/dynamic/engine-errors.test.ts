/**
 * A provider failure reaches the engine as its message alone: an error with
 * an `id` (our finding ids) would be read by Pulumi's dynamic provider host as
 * a partial create, and the resource's stored outputs replaced by `{}`.
 */
import { describe, expect, it } from "vitest";
import { withEngineSafeErrors } from "../../../../infra/lib/dynamic/engine-errors";
import type { IdentifiedProvider } from "../../../../infra/lib/dynamic/types";

class FindingError extends Error {
  constructor(
    message: string,
    readonly id: string,
  ) {
    super(message);
  }
}

describe("provider errors the engine sees", () => {
  const failing: IdentifiedProvider = {
    providerId: "test:Failing",
    async create() {
      throw new FindingError("pg_dump was not found. Fix: install it", "require-pg-dump");
    },
    async update() {
      throw Object.assign(new Error("S3 refused the upload"), { id: "x", properties: { a: 1 } });
    },
  };

  it("keeps the message and drops the id and properties", async () => {
    const safe = withEngineSafeErrors(failing);
    const created = await safe.create!({}).catch((e: unknown) => e);
    expect(created).toBeInstanceOf(Error);
    expect((created as Error).message).toBe("pg_dump was not found. Fix: install it");
    expect(created).not.toHaveProperty("id");
    const updated = await safe.update!("id", {}, {}).catch((e: unknown) => e);
    expect((updated as Error).message).toBe("S3 refused the upload");
    expect(updated).not.toHaveProperty("id");
    expect(updated).not.toHaveProperty("properties");
  });

  it("adds no method the provider lacks, and keeps its id", () => {
    const safe = withEngineSafeErrors(failing);
    expect(safe.providerId).toBe("test:Failing");
    expect(Object.keys(safe).sort()).toEqual(["create", "providerId", "update"]);
  });
});
