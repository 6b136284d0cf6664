/** Streaming AES-256-GCM: round trip, and every way a ciphertext can be wrong. */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  decryptStream,
  encryptStream,
  keyFingerprint,
  parseEncryptionKey,
} from "../../../infra/backups/encryption";

const key = randomBytes(32);

async function through(
  data: Buffer,
  transform: NodeJS.ReadWriteStream,
  chunk = 1000,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  const out: Buffer[] = [];
  for await (const c of Readable.from(parts.length ? parts : [Buffer.alloc(0)]).pipe(transform))
    out.push(c as Buffer);
  return Buffer.concat(out);
}

describe("client-side encryption", () => {
  it.each([0, 1, 15, 16, 17, 100_000])(
    "round-trips %i bytes in odd chunks, and the ciphertext is not the plaintext",
    async (n) => {
      const plain = randomBytes(n);
      const sealed = await through(plain, encryptStream(key), 333);
      expect(sealed.length).toBe(n + 8 + 12 + 16);
      if (n > 32) expect(sealed.includes(plain.subarray(0, 32))).toBe(false);
      expect(await through(sealed, decryptStream(key, "obj"), 777)).toEqual(plain);
    },
  );

  it("refuses a flipped bit, a truncated object and the wrong key", async () => {
    const sealed = await through(randomBytes(5000), encryptStream(key));
    const flipped = Buffer.from(sealed);
    flipped[100]! ^= 1;
    await expect(through(flipped, decryptStream(key, "obj"))).rejects.toThrow(
      /failed authentication/,
    );
    await expect(
      through(sealed.subarray(0, sealed.length - 5), decryptStream(key, "obj")),
    ).rejects.toThrow(/failed authentication/);
    await expect(through(sealed.subarray(0, 10), decryptStream(key, "obj"))).rejects.toThrow(
      /truncated/,
    );
    await expect(through(sealed, decryptStream(randomBytes(32), "obj"))).rejects.toThrow(
      /wrong key/,
    );
    await expect(through(randomBytes(100), decryptStream(key, "obj"))).rejects.toThrow(
      /not a runbooks-encrypted/,
    );
  });

  it("accepts only 32-byte base64 keys, without repeating the value", () => {
    expect(parseEncryptionKey(key.toString("base64"))).toEqual(key);
    const bad = "c2hvcnQta2V5LXRoYXQtaXMtc2VjcmV0";
    expect(() => parseEncryptionKey(bad)).toThrow(/32 random bytes in base64/);
    expect(() => parseEncryptionKey(bad)).not.toThrow(new RegExp(bad));
    expect(keyFingerprint(key)).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(keyFingerprint(key)).not.toContain(key.toString("hex").slice(0, 16));
  });
});
