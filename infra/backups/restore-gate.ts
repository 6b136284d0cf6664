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

export class TxnStripper extends Transform {
  private sawBegin = false;
  private partial = "";
  /** Text held back since a `COMMIT;` line: dropped if only trailer follows. */
  private held: string[] | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const text = this.partial + chunk.toString("utf8");
    const lines = text.split("\n");
    this.partial = lines.pop()!;
    const out: string[] = [];
    for (const line of lines) this.line(line, out);
    done(null, out.length ? out.join("") : undefined);
  }

  private line(line: string, out: string[]): void {
    if (!this.sawBegin && line === "BEGIN;") {
      this.sawBegin = true;
      return;
    }
    if (this.held) {
      if (TRAILER.test(line)) {
        this.held.push(line);
        return;
      }
      out.push(...this.held.map((l) => `${l}\n`));
      this.held = undefined;
    }
    if (line === "COMMIT;") {
      this.held = [line];
      return;
    }
    out.push(`${line}\n`);
  }

  override _flush(done: TransformCallback): void {
    const out: string[] = [];
    if (this.partial) this.line(this.partial, out);
    // A held COMMIT followed only by the trailer is pg_restore's: drop the COMMIT, keep the trailer
    // (`\unrestrict` must still reach psql).
    if (this.held) out.push(...this.held.slice(1).map((l) => `${l}\n`));
    this.held = undefined;
    done(null, out.length ? out.join("") : undefined);
  }
}
