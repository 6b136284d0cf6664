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
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
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
  // What each UploadPart and PutObject carried: its bytes and the CRC32 header sent with them.
  const sent: { body: Buffer; crc32?: string }[] = [];
  let parts = 0;
  const s3 = {
    send: async (command: unknown) => {
      calls.push((command as object).constructor.name);
      if (command instanceof UploadPartCommand || command instanceof PutObjectCommand)
        sent.push({
          body: Buffer.from(command.input.Body as Uint8Array),
          crc32: command.input.ChecksumCRC32,
        });
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
      if (command instanceof PutObjectCommand) return {};
      throw new Error(`unexpected ${(command as object).constructor.name}`);
    },
  };
  return { s3: s3 as unknown as S3Client, calls, sent };
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

describe("streamToObject's upload", () => {
  const base64Crc = (bytes: Buffer) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(crc32(bytes));
    return b.toString("base64");
  };

  it("sends each part with the CRC32 of its own bytes and returns the stream's digests", async () => {
    const { s3, calls, sent } = fakeS3({ failAfterParts: 1_000 });
    const result = await streamToObject({
      ...endlessDump(s3),
      // 2.5 parts of 1 MiB, not all zeros, so a part in the wrong place would change a CRC32.
      args: ["-c", "head -c 2621440 /dev/urandom", "sh"],
    });
    expect(calls.filter((c) => c === "UploadPartCommand")).toHaveLength(3);
    expect(sent.map((p) => p.body.length)).toEqual([1048576, 1048576, 524288]);
    for (const p of sent) expect(p.crc32).toBe(base64Crc(p.body));
    const all = Buffer.concat(sent.map((p) => p.body));
    expect(result).toMatchObject({
      size: 2621440,
      sha256: createHash("sha256").update(all).digest("hex"),
      crc32: { whole: crc32(all), parts: sent.map((p) => crc32(p.body)) },
    });
  }, 20_000);

  // A child's output that nobody reads when it exits is thrown away by Node: a small dump stream
  // that finished while the gate was closed used to be stored without its first bytes.
  it("uploads the whole output of a dump that exited before the gate opened", async () => {
    const { s3, calls, sent } = fakeS3();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const run = streamToObject({
      ...endlessDump(s3),
      args: ["-c", "printf PGDMP; head -c 1000 /dev/zero", "sh"],
      gate,
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(calls).toEqual([]);
    open();
    const result = await run;
    expect(calls).toEqual(["PutObjectCommand"]);
    expect(sent[0]!.body.subarray(0, 5).toString("latin1")).toBe("PGDMP");
    expect(sent[0]!.body.length).toBe(1005);
    expect(sent[0]!.crc32).toBe(base64Crc(sent[0]!.body));
    expect(result.size).toBe(1005);
  }, 20_000);
});
