/** Progress without a TTY: a line per phase change and at most one per interval, with rate and ETA. */
import { describe, expect, it } from "vitest";
import { formatBytes, progressRenderer } from "../../../infra/backups/progress";

describe("plain progress lines", () => {
  it("throttles to the interval, restarts on a new phase, and prints notes at once", () => {
    let now = 0;
    const lines: string[] = [];
    const { callback } = progressRenderer({
      tty: false,
      write: (l) => lines.push(l),
      intervalMs: 5000,
      now: () => now,
    });
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
    expect(lines).toEqual([
      "dump: 0 B (0 B/s)",
      "dump: 50.0 MiB (10.0 MiB/s)",
      "waiting behind a lock: pid 42",
      "verify: 0 B of 100.0 MiB (0 B/s)",
      "verify: 50.0 MiB of 100.0 MiB (10.0 MiB/s, ETA 5 s)",
    ]);
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
