import { describe, expect, it } from "vitest";
import { formatBytes, formatCount, formatDuration } from "../../../infra/lib/format";

describe("formatting", () => {
  it("formats durations in at most two units", () => {
    expect(formatDuration(0)).toBe("0 s");
    expect(formatDuration(59.6)).toBe("1 min");
    expect(formatDuration(95)).toBe("1 min 35 s");
    expect(formatDuration(3600)).toBe("1 h");
    expect(formatDuration(3 * 86400 + 4 * 3600 + 59)).toBe("3 d 4 h");
  });

  it("formats bytes like pg_size_pretty", () => {
    expect(formatBytes(512)).toBe("512 bytes");
    expect(formatBytes(8192)).toBe("8.0 kB");
    expect(formatBytes(150 * 1024 * 1024)).toBe("150 MB");
  });

  it("groups thousands without the machine's locale", () => {
    expect(formatCount(1234567.4)).toBe("1,234,567");
    expect(formatCount(999)).toBe("999");
  });
});
