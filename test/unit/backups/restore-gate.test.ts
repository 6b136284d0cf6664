/**
 * TxnStripper drops exactly pg_restore's own BEGIN and final COMMIT, so the
 * restore's transaction is ours alone — tested on the real pg_restore output
 * shape, and on the COMMITs that must survive (a procedure body, a COPY row).
 * TailGate and gatedArchive keep an archive's last bytes from pg_restore
 * until its digest, size and tag were checked.
 */
import { createHash, randomBytes } from "node:crypto";
import { Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { encryptStream } from "../../../infra/backups/encryption";
import { gatedArchive } from "../../../infra/backups/restore-paths";
import { TAIL_GATE_BYTES, TailGate, TxnStripper } from "../../../infra/backups/restore-gate";

async function strip(text: string, chunk = 7): Promise<string> {
  const parts: Buffer[] = [];
  for (let i = 0; i < text.length; i += chunk) parts.push(Buffer.from(text.slice(i, i + chunk)));
  let out = "";
  const s = Readable.from(parts).pipe(new TxnStripper());
  for await (const c of s) out += c.toString();
  return out;
}

const PG_RESTORE_SHAPE = `--
-- PostgreSQL database dump
--

\\restrict AbC123

SET statement_timeout = 0;
SET client_encoding = 'UTF8';

BEGIN;

CREATE PROCEDURE public.p() LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO t VALUES (1);
COMMIT;
END $$;

COPY public.t (v) FROM stdin;
COMMIT;
BEGIN;
\\.

COMMIT;

--
-- PostgreSQL database dump complete
--

\\unrestrict AbC123

`;

describe("TxnStripper", () => {
  it.each([1, 7, 4096])(
    "drops only the leading BEGIN and the trailing COMMIT (chunks of %i bytes)",
    async (chunk) => {
      const out = await strip(PG_RESTORE_SHAPE, chunk);
      const lines = out.split("\n");
      // The procedure's COMMIT and the COPY rows stay; the wrapper's two lines go; the trailer stays.
      expect(lines.filter((l) => l === "COMMIT;")).toHaveLength(2);
      expect(lines.filter((l) => l === "BEGIN;")).toHaveLength(1);
      expect(out).toContain("COPY public.t (v) FROM stdin;\nCOMMIT;\nBEGIN;\n\\.\n");
      expect(out).toContain("\\unrestrict AbC123");
      expect(out.trimEnd().endsWith("\\unrestrict AbC123")).toBe(true);
      expect(out).toBe(
        PG_RESTORE_SHAPE.replace("\nBEGIN;\n\nCREATE", "\n\nCREATE").replace(
          "\\.\n\nCOMMIT;\n",
          "\\.\n\n",
        ),
      );
    },
  );

  it("keeps a COMMIT that more SQL follows, and a BEGIN after the first", async () => {
    const text = "BEGIN;\nSELECT 1;\nCOMMIT;\nSELECT 2;\nBEGIN;\n";
    expect(await strip(text)).toBe("SELECT 1;\nCOMMIT;\nSELECT 2;\nBEGIN;\n");
  });

  it("streams a large body through untouched, with COMMIT rows in it, and strips only the wrapper", async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) =>
      i % 1000 === 0 ? "COMMIT;" : `${i}\tünïcødé ✓ row`,
    ).join("\n");
    const body = `COPY public.t (v) FROM stdin;\n${rows}\n\\.\n\n`;
    const text = `SET x = 1;\nBEGIN;\n\n${body}COMMIT;\n\n--\n-- done\n--\n\n\\unrestrict K\n\n`;
    const out = await strip(text, 65_536);
    expect(out).toBe(`SET x = 1;\n\n${body}\n--\n-- done\n--\n\n\\unrestrict K\n\n`);
  });

  it("passes a stream without pg_restore's wrapper through unchanged", async () => {
    expect(await strip("SELECT 1;\n")).toBe("SELECT 1;\n");
    expect(await strip("")).toBe("");
  });
});

/** Runs `stages` into a collector; returns what reached the end, and the pipeline's error if any. */
async function through(
  stages: (NodeJS.ReadableStream | NodeJS.ReadWriteStream)[],
): Promise<{ out: Buffer; error?: Error }> {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      parts.push(chunk);
      done();
    },
  });
  try {
    await pipeline([...stages, sink] as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream]);
    return { out: Buffer.concat(parts) };
  } catch (error) {
    return { out: Buffer.concat(parts), error: error as Error };
  }
}

const chunksOf = (bytes: Buffer, size: number) =>
  Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) =>
    bytes.subarray(i * size, (i + 1) * size),
  );

describe("TailGate", () => {
  const bytes = randomBytes(10_000);

  it.each([1, 333, 4096, 20_000])(
    "passes every byte in order once the stream ends (chunks of %i bytes)",
    async (chunk) => {
      const { out, error } = await through([
        Readable.from(chunksOf(bytes, chunk)),
        new TailGate(1000),
      ]);
      expect(error).toBeUndefined();
      expect(out.equals(bytes)).toBe(true);
    },
  );

  it("holds back exactly the last bytes while the stream is open", async () => {
    const gate = new TailGate(1000);
    const seen: Buffer[] = [];
    gate.on("data", (c: Buffer) => seen.push(c));
    for (const c of chunksOf(bytes, 700)) gate.write(c);
    await new Promise((r) => setImmediate(r));
    expect(Buffer.concat(seen).equals(bytes.subarray(0, bytes.length - 1000))).toBe(true);
    expect(gate.held).toBe(1000);
  });

  it("never releases the held bytes when something upstream fails", async () => {
    const failing = new Transform({
      transform(chunk, _enc, done) {
        done(null, chunk);
      },
      flush(done) {
        done(new Error("digest mismatch"));
      },
    });
    const { out, error } = await through([
      Readable.from(chunksOf(bytes, 512)),
      failing,
      new TailGate(1000),
    ]);
    expect(error?.message).toBe("digest mismatch");
    expect(out.length).toBe(bytes.length - 1000);
  });
});

describe("gatedArchive: what pg_restore may read of an object", () => {
  const bytes = randomBytes(3 * TAIL_GATE_BYTES);
  const object = {
    key: "backups/x/db.dump",
    size: bytes.length,
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };

  it("is every byte when the SHA-256 and size match", async () => {
    const { out, error } = await through(
      gatedArchive(Readable.from(chunksOf(bytes, 65_536)), object),
    );
    expect(error).toBeUndefined();
    expect(out.equals(bytes)).toBe(true);
  });

  it("stops short of the archive's end when the SHA-256 differs, so pg_restore cannot reach its COMMIT", async () => {
    const { out, error } = await through(
      gatedArchive(Readable.from(chunksOf(bytes, 65_536)), { ...object, sha256: "0".repeat(64) }),
    );
    expect(error?.name).toBe("ChecksumMismatchError");
    expect(out.length).toBe(bytes.length - TAIL_GATE_BYTES);
  });

  it("stops short of the end of a truncated object", async () => {
    const cut = bytes.subarray(0, bytes.length - 10);
    const { out, error } = await through(
      gatedArchive(Readable.from(chunksOf(cut, 65_536)), object),
    );
    expect(error?.name).toBe("ChecksumMismatchError");
    expect(out.length).toBeLessThanOrEqual(cut.length - TAIL_GATE_BYTES);
  });

  it("stops short of the end when the GCM tag does not verify, even with a matching digest", async () => {
    const key = randomBytes(32);
    const sealed = Buffer.concat(await Readable.from([bytes]).pipe(encryptStream(key)).toArray());
    sealed[sealed.length - 1]! ^= 0x01;
    const { out, error } = await through(
      gatedArchive(
        Readable.from(chunksOf(sealed, 65_536)),
        {
          key: object.key,
          size: sealed.length,
          sha256: createHash("sha256").update(sealed).digest("hex"),
        },
        key,
      ),
    );
    expect(error).toBeDefined();
    expect(out.length).toBeLessThanOrEqual(bytes.length - TAIL_GATE_BYTES);
  });
});
