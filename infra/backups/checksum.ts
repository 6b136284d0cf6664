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

/** A pass-through that hashes what it sees. With `expected`, it fails at the end on any difference. */
export class HashingStream extends Transform {
  private readonly hash = createHash("sha256");
  private bytes = 0;
  private digest?: string;
  private whole = 0;
  private readonly parts: number[] = [];
  private part = 0;
  private inPart = 0;

  constructor(
    private readonly expected?: { key: string; sha256: string; size: number },
    /**
     * With a part size, the CRC32 of the whole stream and of each `partSizeBytes` window is kept
     * too: what S3 computes of an object uploaded in parts of that size (stored-checksum.ts).
     */
    private readonly partSizeBytes?: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.partSizeBytes) this.crcParts(chunk, this.partSizeBytes);
    // A stream longer than the manifest says is refused as soon as it is known.
    if (this.expected && this.bytes > this.expected.size) {
      done(
        new ChecksumMismatchError(this.expected.key, this.expected, {
          sha256: "(not computed: too long)",
          size: this.bytes,
        }),
      );
      return;
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.digest = this.hash.digest("hex");
    const e = this.expected;
    if (e && (e.sha256 !== this.digest || e.size !== this.bytes)) {
      done(new ChecksumMismatchError(e.key, e, { sha256: this.digest, size: this.bytes }));
      return;
    }
    done();
  }

  private crcParts(chunk: Buffer, partSize: number): void {
    this.whole = crc32(chunk, this.whole);
    for (let at = 0; at < chunk.length;) {
      const take = Math.min(partSize - this.inPart, chunk.length - at);
      this.part = crc32(chunk.subarray(at, at + take), this.part);
      this.inPart += take;
      at += take;
      if (this.inPart === partSize) {
        this.parts.push(this.part);
        this.part = 0;
        this.inPart = 0;
      }
    }
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
