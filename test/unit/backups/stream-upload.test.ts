/**
 * streamToObject when a part upload fails while the dump is still streaming:
 * the dump process is killed and reaped and the call rejects promptly. A
 * fake S3 client stands in for the bucket so the timing is deterministic:
 * the producer never ends, so the failure always lands mid-stream (the race
 * the integration test "an upload that fails part-way" only sometimes hits).
 * Settling at all proves the child was reaped: streamToObject awaits its
 * 'close' before it returns or throws.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import type { PgConnection } from "../../../infra/backups/pg-tools";
import { streamToObject } from "../../../infra/backups/stream-upload";

const connection: PgConnection = {
  dbnameArg: "postgres://u@127.0.0.1:1/db",
  env: {},
  target: "127.0.0.1:1/db",
  database: "db",
  secrets: [],
};

function fakeS3(options: { failAfterParts?: number; partDelayMs?: number } = {}) {
  const calls: string[] = [];
  let parts = 0;
  const s3 = {
    send: async (command: unknown) => {
      calls.push((command as object).constructor.name);
      const delay = command instanceof UploadPartCommand ? (options.partDelayMs ?? 5) : 5;
      await new Promise((r) => setTimeout(r, delay));
      if (command instanceof CreateMultipartUploadCommand) return { UploadId: "u1" };
      if (command instanceof UploadPartCommand) {
        // By default the first part goes up and every later one fails, as after the SDK's retries.
        if (++parts > (options.failAfterParts ?? 1))
          throw Object.assign(new Error("injected"), {
            name: "InternalError",
            $metadata: { httpStatusCode: 500 },
          });
        return { ETag: `"e${parts}"` };
      }
      if (command instanceof ListMultipartUploadsCommand) return { Uploads: [] };
      if (command instanceof AbortMultipartUploadCommand) return {};
      if (command instanceof CompleteMultipartUploadCommand) return {};
      throw new Error(`unexpected ${(command as object).constructor.name}`);
    },
  };
  return { s3: s3 as unknown as S3Client, calls };
}

/** A dump that never ends by itself: only the kill stops it ($1 is the connection argument). */
const endlessDump = (s3: S3Client, signal?: AbortSignal) => ({
  s3,
  location: { bucket: "b", prefix: "p/", region: "us-east-1" },
  key: "p/backups/x/db.dump",
  program: "/bin/sh",
  args: ["-c", "exec cat /dev/zero", "sh"],
  connection,
  partSizeBytes: 1024 * 1024,
  queueSize: 2,
  ...(signal ? { signal } : {}),
});

describe("streamToObject", () => {
  it("kills and reaps a dump that is still streaming when a part fails, and rejects promptly", async () => {
    const { s3, calls } = fakeS3();
    const started = Date.now();
    await expect(streamToObject(endlessDump(s3))).rejects.toThrow(
      /upload p\/backups\/x\/db\.dump .*InternalError/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(calls).toContain("AbortMultipartUploadCommand");
  }, 20_000);

  // A guard on the same kill-and-reap path: this one already passed before the fix (a cancel
  // destroys the body with an error, which happened to tear the chain down).
  it("kills and reaps a dump that is still streaming when the backup is cancelled", async () => {
    // Slow parts that never fail: the uploader is waiting on them (not reading) when the cancel lands.
    const { s3, calls } = fakeS3({ failAfterParts: Number.POSITIVE_INFINITY, partDelayMs: 100 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    await expect(streamToObject(endlessDump(s3, controller.signal))).rejects.toThrow(
      /the backup was cancelled/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(calls).toContain("AbortMultipartUploadCommand");
  }, 20_000);
});

describe("streamToObject's gate", () => {
  it("starts the dump at once but sends nothing to S3 until the gate opens", async () => {
    const { s3, calls } = fakeS3({ failAfterParts: 1_000 });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const controller = new AbortController();
    const run = streamToObject({
      ...endlessDump(s3, controller.signal),
      args: ["-c", "head -c 3000000 /dev/zero", "sh"],
      gate,
    });
    await new Promise((r) => setTimeout(r, 300));
    // The dump is waiting in the pipe; the bucket has seen nothing.
    expect(calls).toEqual([]);
    open();
    await expect(run).resolves.toMatchObject({ size: 3_000_000 });
    expect(calls[0]).toBe("CreateMultipartUploadCommand");
  }, 20_000);

  it("kills the dump and throws the gate's own error, without touching S3, when the gate fails", async () => {
    const { s3, calls } = fakeS3();
    const refused = new Error("the bucket 'b' does not exist. Fix: create it");
    const started = Date.now();
    await expect(
      streamToObject({ ...endlessDump(s3), gate: Promise.reject(refused) }),
    ).rejects.toBe(refused);
    // Settling at all proves the never-ending dump was killed and reaped.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(calls).toEqual([]);
  }, 20_000);
});
