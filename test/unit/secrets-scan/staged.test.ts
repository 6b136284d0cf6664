import { describe, expect, it } from "vitest";
import { parseRawDiff } from "../../../infra/secrets-scan/staged";

describe("parseRawDiff", () => {
  it("keeps added and modified paths with their new blob, drops deletions, keeps odd names intact", () => {
    const a = "a".repeat(40);
    const b = "b".repeat(40);
    const z = "0".repeat(40);
    const raw = [
      `:000000 100644 ${z} ${a} A`,
      "new file.env",
      `:100644 100644 ${a} ${b} M`,
      "dir/with\nnewline",
      `:100644 000000 ${a} ${z} D`,
      "gone.txt",
      `:000000 120000 ${z} ${b} A`,
      "link",
      "",
    ].join("\0");
    expect(parseRawDiff(raw)).toEqual([
      { path: "new file.env", blob: a, mode: "100644" },
      { path: "dir/with\nnewline", blob: b, mode: "100644" },
      { path: "link", blob: b, mode: "120000" },
    ]);
  });
});
