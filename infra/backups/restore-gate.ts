/**
 * How a restore guarantees that a tampered or truncated object is refused
 * with NOTHING committed, without a temp file. There are two paths, and in
 * both the database can only commit after every byte proved genuine.
 *
 * 1. One whole-database object (the default backup): pg_restore connects
 *    itself (`-d`, `--single-transaction`) and reads the archive from stdin.
 *    The bytes flow S3 → SHA-256 → decryption → `TailGate` → pg_restore.
 *    The gate holds back the stream's last bytes until everything upstream
 *    ended cleanly: the size and digest matched and the GCM tag checked out.
 *    A custom-format archive read from a pipe ends with the last data block
 *    and its end marker, and pg_restore restores in archive order.
 *    pg_restore therefore cannot reach its COMMIT without those held-back
 *    bytes. On any mismatch they are never released: pg_restore is killed
 *    mid-read, and the server rolls its transaction back. This path runs
 *    at pg_restore's own speed, because the SQL never passes through this
 *    process or through psql.
 *
 * 2. Several objects (`--jobs` backups), or `--tables`: pg_restore writes
 *    SQL (`-f -`), and psql runs it in ONE transaction that WE open and that
 *    only WE commit. It holds the only connection. `COMMIT` is written to
 *    psql only after every object ended with the right size, digest and tag.
 *    Path 1 cannot serve these. Each pg_restore would commit on its own, so
 *    several objects would not be atomic. With `--tables`, pg_restore stops
 *    reading, and commits, once it has the tables it was asked for, which
 *    can be before the end of the stream, so before the digest is known.
 *    This path is slower: every row goes through pg_restore's text output
 *    and psql's COPY parsing (bench/backups, about 1.35× in total).
 *
 * Why not download first: a multi-GB temp file is the failure mode this avoids.
 *
 * In path 2, pg_restore's own script output must not commit for us: with
 * `--single-transaction` it writes exactly one `BEGIN;` before the first
 * statement and one `COMMIT;` after the last (and, unlike without it, no
 * BEGIN/COMMIT around large objects). `TxnStripper` drops those two lines:
 * the first `BEGIN;` line (only header comments and SETs precede it), and a
 * `COMMIT;` line followed by nothing but comments, blank lines and `\unrestrict`. A
 * `COMMIT;` inside a procedure body or a COPY row is followed by more SQL,
 * so it is passed on.
 */
import { Transform, type TransformCallback } from "node:stream";

// What pg_restore writes after its COMMIT: comments, blank lines and (15.14+, 16.10+, 17.6+)
// psql's `\unrestrict <key>`, which ends the `\restrict` it opened with.
const TRAILER = /^(--.*|\s*|\\unrestrict \S+)$/;
const BEGIN_LINE = Buffer.from("BEGIN;\n");
/** pg_restore's BEGIN follows the header and SETs: a few KB. Past this, there is none. */
const HEAD_LIMIT = 1024 * 1024;
/** The trailer after pg_restore's COMMIT is well under this; everything before it streams on. */
const TAIL_HOLD = 64 * 1024;

/**
 * Works on bytes and looks only at the head and the tail of the stream: the
 * gigabytes of COPY data in between pass through untouched (splitting them
 * into lines cost more than the restore's own work).
 */
export class TxnStripper extends Transform {
  private head: Buffer | undefined = Buffer.alloc(0);
  private tail = Buffer.alloc(0);

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let data = chunk;
    if (this.head) {
      const head = Buffer.concat([this.head, chunk]);
      const at = head.subarray(0, BEGIN_LINE.length).equals(BEGIN_LINE)
        ? 0
        : head.indexOf(Buffer.from(`\n${BEGIN_LINE.toString()}`));
      if (at < 0 && head.length < HEAD_LIMIT) {
        this.head = head;
        return done();
      }
      this.head = undefined;
      data =
        at < 0
          ? head
          : Buffer.concat([
              head.subarray(0, at === 0 ? 0 : at + 1),
              head.subarray((at === 0 ? 0 : at + 1) + BEGIN_LINE.length),
            ]);
    }
    const all = Buffer.concat([this.tail, data]);
    if (all.length <= TAIL_HOLD) {
      this.tail = all;
      return done();
    }
    this.tail = Buffer.from(all.subarray(all.length - TAIL_HOLD));
    done(null, all.subarray(0, all.length - TAIL_HOLD));
  }

  override _flush(done: TransformCallback): void {
    const tail = this.head ? Buffer.concat([this.head, this.tail]) : this.tail;
    // Walk back over the trailer; if the line before it is `COMMIT;`, it is pg_restore's: drop it.
    let end = tail.length;
    if (end > 0 && tail[end - 1] === 0x0a) end--;
    while (end > 0) {
      const start = tail.lastIndexOf(0x0a, end - 1) + 1;
      const line = tail.subarray(start, end).toString("latin1");
      if (line === "COMMIT;") {
        done(
          null,
          Buffer.concat([tail.subarray(0, start), tail.subarray(Math.min(end + 1, tail.length))]),
        );
        return;
      }
      if (!TRAILER.test(line) || start === 0) break;
      end = start - 1;
    }
    done(null, tail);
  }
}

/** A custom-format archive's end-of-data marker is 5 bytes; 1 MiB leaves a wide margin at a bounded cost. */
export const TAIL_GATE_BYTES = 1024 * 1024;

/**
 * Passes a stream through, except its last `hold` bytes, which it releases
 * only when the stream ends cleanly. If anything upstream fails (a digest, a
 * tag, a truncated read), the held bytes are never written.
 *
 * Chunks are queued rather than concatenated, so the bytes are not copied again.
 */
export class TailGate extends Transform {
  private readonly queue: Buffer[] = [];
  private queued = 0;

  constructor(private readonly hold: number = TAIL_GATE_BYTES) {
    super();
    if (!(hold > 0)) throw new RangeError("TailGate must hold back at least one byte");
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.queue.push(chunk);
    this.queued += chunk.length;
    while (this.queue.length > 0 && this.queued - this.queue[0]!.length >= this.hold) {
      const first = this.queue.shift()!;
      this.queued -= first.length;
      this.push(first);
    }
    // The head chunk straddles the boundary: release what lies before the held tail.
    if (this.queued > this.hold) {
      const first = this.queue[0]!;
      const release = this.queued - this.hold;
      this.push(first.subarray(0, release));
      this.queue[0] = first.subarray(release);
      this.queued -= release;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    for (const chunk of this.queue) this.push(chunk);
    this.queue.length = 0;
    this.queued = 0;
    done();
  }

  /** Bytes held back right now. */
  get held(): number {
    return this.queued;
  }
}
