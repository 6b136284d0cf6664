/**
 * TxnStripper drops exactly pg_restore's own BEGIN and final COMMIT, so the
 * restore's transaction is ours alone — tested on the real pg_restore output
 * shape, and on the COMMITs that must survive (a procedure body, a COPY row).
 */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { TxnStripper } from "../../../infra/backups/restore-gate";

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
