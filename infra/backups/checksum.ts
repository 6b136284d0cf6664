/**
 * SHA-256 and byte count of a stream, computed on the way through, so a dump
 * is hashed while it uploads and an object is verified while it restores,
 * without a second pass or a copy on disk.
 */
import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

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

  constructor(private readonly expected?: { key: string; sha256: string; size: number }) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
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
