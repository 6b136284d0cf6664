/**
 * The library's progress events through the runner's progress without a TTY:
 * one task per phase, lines throttled to the interval, a lock wait at once.
 */
import { describe, expect, it } from "vitest";
import { formatBytes } from "../../../infra/backups/progress";
import { progressCallback } from "../../../scripts/lib/backup-cli";
import { createProgress } from "../../../scripts/lib/progress";

describe("backup progress as plain lines", () => {
  it("starts a task per phase, throttles updates, and prints a lock wait at once", () => {
    let now = 0;
    const lines: string[] = [];
    const progress = createProgress({
      mode: "lines",
      write: (l) => lines.push(l),
      now: () => now,
      intervalMs: 5000,
    });
    const { callback, stop } = progressCallback(progress);
    callback({ phase: "dump", bytes: 0 });
    now = 1000;
    callback({ phase: "dump", bytes: 10 * 1024 * 1024 });
    now = 5000;
    callback({ phase: "dump", bytes: 50 * 1024 * 1024 });
    callback({ phase: "dump", bytes: 0, note: "waiting behind a lock: pid 42" });
    now = 6000;
    callback({ phase: "verify", bytes: 0, totalBytes: 100 * 1024 * 1024 });
    now = 11_000;
    callback({ phase: "verify", bytes: 50 * 1024 * 1024, totalBytes: 100 * 1024 * 1024 });
    stop();
    expect(lines).toEqual([
      "dump: started",
      "dump: 50 MB, 10 MB/s",
      "[1/1] waiting behind a lock: pid 42",
      "dump: done, 50 MB in 6 s (8.3 MB/s)",
      "verify: started (100 MB)",
      "verify: 50 MB of 100 MB (50%), 10 MB/s, ETA 5 s",
      "verify: done, 50 MB in 5 s (10 MB/s)",
    ]);
  });

  it("prints nothing in silent mode (--json)", () => {
    const lines: string[] = [];
    const progress = createProgress({ mode: "silent", write: (l) => lines.push(l), now: () => 0 });
    const { callback, stop } = progressCallback(progress);
    callback({ phase: "dump", bytes: 5 });
    stop();
    expect(lines).toEqual([]);
  });

  it("formats sizes", () => {
    expect([0, 1023, 1024, 1536 * 1024, 3 * 1024 ** 3].map(formatBytes)).toEqual([
      "0 B",
      "1023 B",
      "1.0 KiB",
      "1.5 MiB",
      "3.0 GiB",
    ]);
  });
});
