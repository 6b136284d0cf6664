import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createProgress, describeProgress } from "../../../scripts/lib/progress";
import { defineCommand } from "../../../scripts/lib/command";
import { runCommand } from "../../../scripts/lib/runner";

const MB = 1024 * 1024;

describe("plain-line progress (not a terminal)", () => {
  it("prints a start line, at most one line per interval with amount, rate and ETA, and a closing line", () => {
    let now = 0;
    const lines: string[] = [];
    const progress = createProgress({
      mode: "lines",
      write: (l) => lines.push(l),
      now: () => now,
      intervalMs: 5000,
    });
    const task = progress.task("dump", { total: 100 * MB, unit: "bytes" });
    now = 1000;
    task.update(5 * MB);
    now = 5000;
    task.update(20 * MB);
    now = 6000;
    task.update(24 * MB);
    now = 20_000;
    task.update(100 * MB);
    task.finish();
    task.finish();
    expect(lines).toEqual([
      "dump: started (100 MB)",
      "dump: 20 MB of 100 MB (20%), 4.0 MB/s, ETA 20 s",
      "dump: 100 MB of 100 MB (100%), 5.0 MB/s, ETA 0 s",
      "dump: done, 100 MB in 20 s (5.0 MB/s)",
    ]);
  });

  it("numbers steps", () => {
    const lines: string[] = [];
    createProgress({ mode: "lines", write: (l) => lines.push(l), now: () => 0 }).step(
      2,
      5,
      "revoke the old key",
    );
    expect(lines).toEqual(["[2/5] revoke the old key"]);
  });

  it("numbers steps without a total when only the engine knows how many there are", () => {
    const lines: string[] = [];
    createProgress({ mode: "lines", write: (l) => lines.push(l), now: () => 0 }).step(
      3,
      undefined,
      "✓ create  rotated:app-db-login",
    );
    expect(lines).toEqual(["[3] ✓ create  rotated:app-db-login"]);
  });

  it("says so when the total or the rate is unknown", () => {
    expect(describeProgress(1500, undefined, 1000, "items")).toBe("1,500, 1,500/s");
    expect(describeProgress(0, 10, 0, "items")).toBe("0 of 10 (0%), 0/s, ETA unknown");
  });
});

describe("terminal progress", () => {
  it("draws a bar on the terminal stream and leaves a closing line", () => {
    const drawn: string[] = [];
    const stream = Object.assign(
      new Writable({ write: (chunk, _enc, done) => (drawn.push(String(chunk)), done()) }),
      {
        isTTY: true,
        columns: 120,
        cursorTo: () => true,
        clearLine: () => true,
        moveCursor: () => true,
      },
    );
    const lines: string[] = [];
    let now = 0;
    const task = createProgress({
      mode: "tty",
      write: (l) => lines.push(l),
      stream,
      now: () => now,
    }).task("upload", { total: 10 * MB, unit: "bytes" });
    now = 2000;
    task.update(5 * MB);
    task.finish();
    // The ETA is the bar library's own estimate from its real clock, so it is left out.
    expect(drawn.join("")).toContain(
      "upload [====================--------------------] 50% | 5.0 MB of 10 MB | 2.5 MB/s | ETA ",
    );
    expect(lines).toEqual(["upload: done, 5.0 MB in 2 s (2.5 MB/s)"]);
  });
});

describe("progress through the runner", () => {
  const cmd = defineCommand({
    name: "p:p",
    description: "d",
    shared: ["json"],
    run: async ({ progress }) => {
      progress.step(1, 1, "the only step");
      return { findings: [] };
    },
  });

  it("goes to stderr as plain lines, and nowhere with --json", async () => {
    const run = async (argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      await runCommand(cmd, { argv, stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
      return { out, err };
    };
    const plain = await run([]);
    expect(plain.err).toEqual(["[1/1] the only step"]);
    expect(plain.out.join("\n")).not.toContain("the only step");
    const json = await run(["--json"]);
    expect(json.err).toEqual([]);
    expect(JSON.parse(json.out.join("\n"))).toMatchObject({ command: "p:p", exitCode: 0 });
  });
});
