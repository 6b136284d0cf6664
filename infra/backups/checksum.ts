/**
 * SHA-256 and byte count of a stream, computed on the way through, so a dump
 * is hashed while it uploads and an object is verified while it restores,
 * without a second pass or a copy on disk.
 */
import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { crc32 } from "node:zlib";

export class ChecksumMismatchError extends Error {
  constructor(
    readonly key: string,
    readonly expected: { sha256: string; size: number },
    readonly actual: { sha256: string; size: number },
  ) {
    const what =
      actual.size !== expected.size
        ? `is ${actual.size} bytes but the manifest says ${expected.size} (truncated or replaced)`
        : `has SHA-256 ${actual.sha256} but the manifest says ${expected.sha256} (corrupted or tampered with)`;
    super(`${key} ${what}; refused: nothing was committed`);
    this.name = "ChecksumMismatchError";
  }
}

/** A CRC32 as S3 writes it (x-amz-checksum-crc32): its four big-endian bytes, in base64. */
export function crc32Base64(crc: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc >>> 0);
  return b.toString("base64");
}

/**
 * The SHA-256, size and CRC32s of a byte stream, fed chunk by chunk. With a
 * part size it also keeps the CRC32 of each `partSizeBytes` window: what S3
 * computes of an object uploaded in parts of that size (stored-checksum.ts).
 * Not a stream itself, so the uploader can hash in the same pass that copies
 * a chunk into its part, with no stream stage between pg_dump and S3.
 */
export class StreamDigest {
  private readonly hash = createHash("sha256");
  private bytes = 0;
  private digest?: string;
  private whole = 0;
  private readonly parts: number[] = [];
  private part = 0;
  private inPart = 0;

  constructor(private readonly partSizeBytes?: number) {}

  update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (!this.partSizeBytes) return;
    this.whole = crc32(chunk, this.whole);
    for (let at = 0; at < chunk.length;) {
      const take = Math.min(this.partSizeBytes - this.inPart, chunk.length - at);
      this.part = crc32(chunk.subarray(at, at + take), this.part);
      this.inPart += take;
      at += take;
      if (this.inPart === this.partSizeBytes) {
        this.parts.push(this.part);
        this.part = 0;
        this.inPart = 0;
      }
    }
  }

  /** Ends the stream: the SHA-256 is final from here on. */
  finish(): string {
    this.digest ??= this.hash.digest("hex");
    return this.digest;
  }

  /** The CRC32 of the window `n` (from 1), once it is complete or the stream has ended. */
  partCrc32(n: number): number {
    if (n <= this.parts.length) return this.parts[n - 1]!;
    if (this.digest !== undefined && n === this.parts.length + 1) return this.part;
    throw new Error(`part ${n} is not complete yet`);
  }

  /**
   * The CRC32 of the whole stream and of each part-size window, in order (the last window may be
   * short); only after the stream ended, and only with a part size.
   */
  get crc32(): { whole: number; parts: number[] } {
    if (this.digest === undefined) throw new Error("the stream has not ended yet");
    if (!this.partSizeBytes) throw new Error("no part size was given");
    return {
      whole: this.whole,
      parts: this.inPart > 0 || this.parts.length === 0 ? [...this.parts, this.part] : this.parts,
    };
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.bytes;
  }

  /** The hex digest; only after the stream ended. */
  get sha256(): string {
    if (this.digest === undefined) throw new Error("the stream has not ended yet");
    return this.digest;
  }
}

/** A pass-through that hashes what it sees. With `expected`, it fails at the end on any difference. */
export class HashingStream extends Transform {
  private readonly digest = new StreamDigest();

  constructor(private readonly expected?: { key: string; sha256: string; size: number }) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.digest.update(chunk);
    // A stream longer than the manifest says is refused as soon as it is known.
    if (this.expected && this.digest.size > this.expected.size) {
      done(
        new ChecksumMismatchError(this.expected.key, this.expected, {
          sha256: "(not computed: too long)",
          size: this.digest.size,
        }),
      );
      return;
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const sha256 = this.digest.finish();
    const e = this.expected;
    if (e && (e.sha256 !== sha256 || e.size !== this.digest.size)) {
      done(new ChecksumMismatchError(e.key, e, { sha256, size: this.digest.size }));
      return;
    }
    done();
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.digest.size;
  }

  /** The hex digest; only after the stream ended. */
  get sha256(): string {
    return this.digest.sha256;
  }
}
