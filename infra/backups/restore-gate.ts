/**
 * How a restore guarantees that a tampered or truncated object is refused
 * with NOTHING committed, without a temp file:
 *
 * pg_restore does not write to the database itself. It turns each archive
 * into SQL (`-f -`) and psql, holding the only connection, runs that SQL in
 * ONE transaction that WE open and that only WE commit. The object's bytes
 * flow S3 → SHA-256 (checked against the manifest at the end) → decryption
 * (GCM tag checked at the end) → pg_restore → psql, so the SQL is applied
 * while it streams, but `COMMIT` is written to psql only after every object
 * has ended with the right size, digest and tag. On any mismatch psql is
 * killed before COMMIT and the server rolls everything back.
 *
 * Why not let pg_restore connect (`-d`) with `--single-transaction`: then
 * pg_restore commits when it has what it needs, which with `--tables` can be
 * before the end of the stream, i.e. before the digest is known. Why not
 * download first: a multi-GB temp file is the failure mode this avoids.
 *
 * pg_restore's own script output must not commit for us: with
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
