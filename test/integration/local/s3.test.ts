import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { services } from "../../support/services";

describe("harness: S3 server", () => {
  let s3: S3Client;
  const bucket = `harness-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    const info = services().s3;
    s3 = new S3Client({
      endpoint: info.endpoint,
      region: info.region,
      forcePathStyle: true,
      credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
    });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(() => s3?.destroy());

  it("is a real server that rejects a wrong secret key", async () => {
    const info = services().s3;
    const wrong = new S3Client({
      endpoint: info.endpoint,
      region: info.region,
      forcePathStyle: true,
      credentials: { accessKeyId: info.accessKeyId, secretAccessKey: "not-the-secret" },
    });
    await expect(wrong.send(new ListObjectsV2Command({ Bucket: bucket }))).rejects.toThrow(
      /signature/i,
    );
    wrong.destroy();
  });

  it("round-trips a multipart object streamed through @aws-sdk/lib-storage", async () => {
    const partSize = 5 * 1024 * 1024;
    const chunks = [randomBytes(partSize), randomBytes(partSize), randomBytes(1024 * 1024 + 17)];
    const expected = createHash("sha256");
    chunks.forEach((c) => expected.update(c));
    const upload = new Upload({
      client: s3,
      params: { Bucket: bucket, Key: "dumps/roundtrip.bin", Body: Readable.from(chunks) },
      partSize,
      queueSize: 2,
    });
    const parts: number[] = [];
    upload.on("httpUploadProgress", (p) => p.part && parts.push(p.part));
    await upload.done();

    const head = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: "dumps/roundtrip.bin" }),
    );
    expect(head.ContentLength).toBe(chunks.reduce((n, c) => n + c.length, 0));
    // A multipart ETag is "<md5-of-part-md5s>-<part count>".
    expect(head.ETag).toMatch(/-3"$/);
    expect(new Set(parts).size).toBe(3);

    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dumps/roundtrip.bin" }));
    const actual = createHash("sha256");
    for await (const chunk of got.Body as Readable) actual.update(chunk as Buffer);
    expect(actual.digest("hex")).toBe(expected.digest("hex"));
  });
});
