/** `rotate:audit` in-process through the runner, on a real audit file. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { auditStore } from "../../../infra/rotation/audit";
import { runCommand } from "../../../scripts/lib/runner";
import { rotateAudit } from "../../../scripts/rotate-audit";

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(rotateAudit, {
    argv,
    env: {},
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
  });
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

async function writtenLog(): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), "rotate-audit-")), "audit.jsonl");
  const store = auditStore({ kind: "file", path });
  const base = { stack: "local", credential: "app-db-login", generation: 2 };
  await store.append({ ...base, event: "created", detail: { id: "app_rw_b#g2" } });
  await store.append({ ...base, event: "pushed", detail: { sinks: ["vercel:DATABASE_URL"] } });
  await store.append({ ...base, event: "verified" });
  await store.append({ ...base, event: "revoked", generation: 0, detail: { id: "app_rw_a#g0" } });
  return path;
}

describe("rotate:audit", () => {
  it("verifies an intact chain and prints the history (exit 0)", async () => {
    const path = await writtenLog();
    const result = await run(["--file", path]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("4 entries, chain intact");
    const events = ["created", "pushed", "verified", "revoked"];
    for (const event of events)
      expect(result.stdout).toMatch(new RegExp(`app-db-login\\s+${event}`));
  });

  it("an edited entry breaks the chain: a critical finding, exit 1", async () => {
    const path = await writtenLog();
    const lines = readFileSync(path, "utf8").split("\n");
    lines[1] = lines[1]!.replace("vercel:DATABASE_URL", "nothing");
    writeFileSync(path, lines.join("\n"));
    const result = await run(["--file", path, "--json"]);
    expect(result.code).toBe(1);
    const envelope = JSON.parse(result.stdout);
    expect(envelope.report.entries).toHaveLength(4);
    expect(envelope.findings).toEqual([
      expect.objectContaining({
        id: "require-intact-audit-chain",
        severity: "critical",
        message: expect.stringContaining("entry 2 does not match its hash (edited)"),
      }),
    ]);
  });

  it("a removed entry breaks the chain too", async () => {
    const path = await writtenLog();
    const lines = readFileSync(path, "utf8").split("\n");
    lines.splice(2, 1);
    writeFileSync(path, lines.join("\n"));
    const result = await run(["--file", path]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("chain BROKEN");
    expect(result.stdout).toContain("does not follow entry 2");
  });

  it("needs a stack or a file; a stack whose bucket it creates needs --bucket (exit 2)", async () => {
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("name the stack (-s <stack>) or the file (--file <path>)");
    const production = await run(["-s", "production"]);
    expect(production.code).toBe(2);
    expect(production.stderr).toContain("pass its name with --bucket");
  });
});
