/** The audit log's hash chain, and the file store under concurrent appends. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { auditStore, nextEntry, verifyChain, type AuditEntry } from "../../../infra/rotation/audit";

const at = new Date("2030-01-01T00:00:00Z");

function chain(n: number): string[] {
  const out: AuditEntry[] = [];
  for (let i = 0; i < n; i++)
    out.push(
      nextEntry(
        out.at(-1),
        {
          stack: "s",
          credential: "c",
          event: i % 2 ? "pushed" : "created",
          generation: i,
          detail: { b: 1, a: [i] },
        },
        at,
      ),
    );
  return out.map((e) => JSON.stringify(e));
}

describe("verifyChain", () => {
  it("accepts an untouched chain", () => {
    const { entries, problems } = verifyChain(chain(5));
    expect(problems).toEqual([]);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it("detects an edited entry, a removed one, a reordering and garbage", () => {
    const lines = chain(5);
    const edited = [...lines];
    edited[2] = edited[2]!.replace('"created"', '"revoked"');
    expect(verifyChain(edited).problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/entry 3 does not match its hash/),
    ]);
    const removed = [...lines.slice(0, 2), ...lines.slice(3)];
    expect(verifyChain(removed).problems.map((p) => p.line)).toEqual([3, 3]);
    const swapped = [lines[0]!, lines[2]!, lines[1]!, lines[3]!];
    expect(verifyChain(swapped).problems.length).toBeGreaterThanOrEqual(2);
    expect(verifyChain([...lines, "{not json"]).problems).toEqual([
      { line: 6, message: "is not JSON" },
    ]);
  });

  it("a rewritten entry with a recomputed hash still breaks the link to the next one", () => {
    const lines = chain(3);
    const second = JSON.parse(lines[1]!) as AuditEntry;
    const forged = nextEntry(
      JSON.parse(lines[0]!) as AuditEntry,
      { stack: "s", credential: "c", event: "revoked" },
      at,
    );
    expect(forged.hash).not.toBe(second.hash);
    expect(
      verifyChain([lines[0]!, JSON.stringify(forged), lines[2]!]).problems.map((p) => p.line),
    ).toEqual([3]);
  });
});

describe("the file store", () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it("keeps one chain under 40 concurrent appends and breaks a stale lock", async () => {
    dir = mkdtempSync(join(tmpdir(), "runbooks-audit-"));
    const path = join(dir, "log.jsonl");
    writeFileSync(`${path}.lock`, "");
    const old = new Date(Date.now() - 60_000);
    (await import("node:fs")).utimesSync(`${path}.lock`, old, old);
    const store = auditStore({ kind: "file", path });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        store.append({ stack: "s", credential: `c${i}`, event: "created" }),
      ),
    );
    const { entries, problems } = verifyChain(readFileSync(path, "utf8").split("\n"));
    expect(problems).toEqual([]);
    expect(entries).toHaveLength(40);
  });
});
