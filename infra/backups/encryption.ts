/**
 * Optional client-side encryption: the dump is encrypted before it leaves
 * this process, so a leaked bucket (or a leaked KMS grant) leaks nothing.
 *
 * AES-256-GCM as a stream: `RBKENC1\0` ‖ 12-byte IV ‖ ciphertext ‖ 16-byte tag.
 * One key and a fresh random IV per object. GCM authenticates only at the
 * end, so decryption releases plaintext before it knows the object is
 * genuine; restore relies on that being safe because nothing it writes
 * commits until the stream ended with a valid tag and the right SHA-256
 * (see restore.ts). The key comes from secret config: 32 random bytes,
 * base64 (`openssl rand -base64 32`).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { BackupSetupError } from "./pg-tools";

const MAGIC = Buffer.from("RBKENC1\0", "latin1");
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + IV_BYTES;

/** The 32-byte key from its base64 form; the message never repeats the value. */
export function parseEncryptionKey(base64: string, source = "the backup encryption key"): Buffer {
  const key = Buffer.from(base64.trim(), "base64");
  if (key.length !== 32 || key.toString("base64") !== base64.trim().replace(/\s/g, ""))
    throw new BackupSetupError(
      `${source} must be 32 random bytes in base64 (44 characters); the value given is not.`,
      "generate one with 'openssl rand -base64 32' and store it with pulumi config set --secret <key>",
      "require-valid-encryption-key",
    );
  return key;
}

/** A non-secret name for a key, recorded in the manifest so restore can say which key is needed. */
export function keyFingerprint(key: Buffer): string {
  return `sha256:${createHash("sha256").update("runbooks-backup-key").update(key).digest("hex").slice(0, 16)}`;
}

export function encryptStream(key: Buffer): Transform {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      if (!started) {
        started = true;
        this.push(Buffer.concat([MAGIC, iv]));
      }
      done(null, cipher.update(chunk));
    },
    flush(done: TransformCallback) {
      if (!started) this.push(Buffer.concat([MAGIC, iv]));
      this.push(cipher.final());
      done(null, cipher.getAuthTag());
    },
  });
}

export class DecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecryptionError";
  }
}

export function decryptStream(key: Buffer, what: string): Transform {
  let header = Buffer.alloc(0);
  let decipher: import("node:crypto").DecipherGCM | undefined;
  // The last TAG_BYTES seen are always held back: they may be the tag.
  let held = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      let data = chunk;
      if (!decipher) {
        header = Buffer.concat([header, data]);
        if (header.length < HEADER_BYTES) return done();
        if (!header.subarray(0, MAGIC.length).equals(MAGIC))
          return done(new DecryptionError(`${what} is not a runbooks-encrypted object`));
        decipher = createDecipheriv(
          "aes-256-gcm",
          key,
          header.subarray(MAGIC.length, HEADER_BYTES),
        );
        data = header.subarray(HEADER_BYTES);
      }
      held = Buffer.concat([held, data]);
      if (held.length <= TAG_BYTES) return done();
      const body = held.subarray(0, held.length - TAG_BYTES);
      held = Buffer.from(held.subarray(held.length - TAG_BYTES));
      done(null, decipher.update(body));
    },
    flush(done: TransformCallback) {
      if (!decipher || held.length < TAG_BYTES)
        return done(new DecryptionError(`${what} is truncated: no authentication tag`));
      decipher.setAuthTag(held);
      try {
        done(null, decipher.final());
      } catch {
        done(
          new DecryptionError(
            `${what} failed authentication: the wrong key, or the object was altered`,
          ),
        );
      }
    },
  });
}
