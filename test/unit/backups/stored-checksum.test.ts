/**
 * The CRC32s a backup keeps of what it sent, and the forms S3 reports them in
 * (the integration suite checks the same values against MinIO's own).
 */
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { StreamDigest } from "../../../infra/backups/checksum";
import { acceptedChecksums, compositeCrc32 } from "../../../infra/backups/stored-checksum";

function hashed(data: Buffer, chunk: number, partSize: number) {
  const digest = new StreamDigest(partSize);
  for (let at = 0; at < data.length; at += chunk) digest.update(data.subarray(at, at + chunk));
  digest.finish();
  // Each window's CRC32 as the uploader reads it for its part, the same list crc32.parts holds.
  const count = Math.max(1, Math.ceil(data.length / partSize));
  expect(Array.from({ length: count }, (_, i) => digest.partCrc32(i + 1))).toEqual(
    digest.crc32.parts,
  );
  return digest.crc32;
}

const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 3) % 251));

describe("StreamDigest's CRC32s", () => {
  it.each([
    [0, 1, 4],
    [3, 1, 4],
    [8, 3, 4],
    [10, 3, 4],
    [10, 7, 4],
    [1000, 97, 64],
  ])(
    "%i bytes in chunks of %i: the whole and each %i-byte window, across chunk boundaries",
    async (size, chunk, partSize) => {
      const data = bytes(size);
      const got = hashed(data, chunk, partSize);
      const windows: number[] = [];
      for (let at = 0; at < size; at += partSize)
        windows.push(crc32(data.subarray(at, at + partSize)));
      expect(got.whole).toBe(crc32(data));
      expect(got.parts).toEqual(windows.length ? windows : [0]);
    },
  );
});

describe("S3's forms of a checksum", () => {
  it("the composite is the CRC32 of the big-endian part CRC32s, with the part count", () => {
    const parts = [crc32("part one"), crc32("part two")];
    const be = Buffer.alloc(8);
    be.writeUInt32BE(parts[0]!, 0);
    be.writeUInt32BE(parts[1]!, 4);
    const expected = Buffer.alloc(4);
    expected.writeUInt32BE(crc32(be));
    expect(compositeCrc32(parts)).toBe(`${expected.toString("base64")}-2`);
  });

  it("accepts the whole object's CRC32 and the composite, and nothing else", () => {
    const sent = { whole: crc32("hello"), parts: [crc32("hel"), crc32("lo")] };
    const accepted = acceptedChecksums(sent);
    // zlib's CRC32 of "hello" is 0x3610a686.
    expect(accepted).toContain(Buffer.from([0x36, 0x10, 0xa6, 0x86]).toString("base64"));
    expect(accepted).toContain(compositeCrc32(sent.parts));
    expect(accepted).not.toContain(compositeCrc32([sent.parts[1]!, sent.parts[0]!]));
    expect(accepted).not.toContain(`${compositeCrc32(sent.parts).split("-")[0]}-3`);
  });
});
