import { describe, expect, it } from "vitest";
import {
  LogPatchParser,
  addedText,
  pathFromDiffHeader,
  unquoteGitPath,
  type FilePatch,
} from "../../../infra/secrets-scan/log-parser";

const C1 = "1".repeat(40);
const C2 = "2".repeat(40);
const B1 = "a".repeat(40);
const B2 = "b".repeat(40);
const ZERO = "0".repeat(40);

function parse(lines: string[], max = 1024 * 1024): { patches: FilePatch[]; commits: number } {
  const parser = new LogPatchParser(max);
  const patches: FilePatch[] = [];
  for (const line of lines) {
    parser.push(line);
    patches.push(...parser.take());
  }
  patches.push(...parser.end());
  return { patches, commits: parser.commits };
}

describe("LogPatchParser", () => {
  it("reads commits, paths, blob ids and added lines with their new line numbers", () => {
    const { patches, commits } = parse([
      `\x01${C1} 2026-01-02T03:04:05+00:00`,
      "",
      "diff --git a/app.env b/app.env",
      "new file mode 100644",
      `index ${ZERO}..${B1}`,
      "--- /dev/null",
      "+++ b/app.env",
      "@@ -0,0 +1,2 @@",
      "+A=1",
      "+B=2",
      `\x01${C2} 2026-01-03T00:00:00+00:00`,
      "",
      "diff --git a/app.env b/app.env",
      `index ${B1}..${B2} 100644`,
      "--- a/app.env",
      "+++ b/app.env",
      "@@ -2 +2 @@",
      "-B=2",
      "+B=3",
      "@@ -10,0 +11,2 @@ section",
      "+K=1",
      "+L=2",
      "\\ No newline at end of file",
    ]);
    expect(commits).toBe(2);
    expect(patches).toHaveLength(2);
    expect(patches[0]).toMatchObject({
      commit: C1,
      authorDate: "2026-01-02T03:04:05+00:00",
      path: "app.env",
      blob: B1,
      mode: "100644",
      added: [
        { line: 1, text: "A=1" },
        { line: 2, text: "B=2" },
      ],
    });
    expect(patches[1]).toMatchObject({
      commit: C2,
      blob: B2,
      added: [
        { line: 2, text: "B=3" },
        { line: 11, text: "K=1" },
        { line: 12, text: "L=2" },
      ],
    });
  });

  it("consumes hunk bodies by count, so added lines that look like headers stay content", () => {
    const { patches } = parse([
      `\x01${C1} 2026-01-02T03:04:05+00:00`,
      "diff --git a/x.md b/x.md",
      `index ${B1}..${B2} 100644`,
      "@@ -1 +1,3 @@",
      "-old",
      "+diff --git a/evil b/evil",
      "+index 0000..1111",
      "+@@ -1 +1 @@",
    ]);
    expect(patches).toHaveLength(1);
    expect(patches[0]?.added.map((a) => a.text)).toEqual([
      "diff --git a/evil b/evil",
      "index 0000..1111",
      "@@ -1 +1 @@",
    ]);
  });

  it("marks deletions (no blob), binaries and submodules", () => {
    const { patches } = parse([
      `\x01${C1} 2026-01-02T03:04:05+00:00`,
      "diff --git a/gone.txt b/gone.txt",
      "deleted file mode 100644",
      `index ${B1}..${ZERO}`,
      "@@ -1 +0,0 @@",
      "-bye",
      "diff --git a/logo.png b/logo.png",
      "new file mode 100644",
      `index ${ZERO}..${B2}`,
      "Binary files /dev/null and b/logo.png differ",
      "diff --git a/vendor b/vendor",
      "new file mode 160000",
      `index ${ZERO}..${B1}`,
      "@@ -0,0 +1 @@",
      `+Subproject commit ${B1}`,
    ]);
    expect(patches.map((p) => [p.path, p.blob, p.binary, p.mode])).toEqual([
      ["gone.txt", null, false, null],
      ["logo.png", B2, true, "100644"],
      ["vendor", B1, false, "160000"],
    ]);
  });

  it("stops keeping lines past the size cap and says so", () => {
    const { patches } = parse(
      [
        `\x01${C1} 2026-01-02T03:04:05+00:00`,
        "diff --git a/big.txt b/big.txt",
        `index ${ZERO}..${B1}`,
        "@@ -0,0 +1,3 @@",
        `+${"x".repeat(40)}`,
        `+${"y".repeat(40)}`,
        `+${"z".repeat(40)}`,
      ],
      64,
    );
    expect(patches[0]).toMatchObject({ truncated: true, added: [], addedBytes: 123 });
  });
});

describe("paths", () => {
  it("splits an unquoted header at its middle, even when the path holds ' b/'", () => {
    expect(pathFromDiffHeader("diff --git a/x b/y.txt b/x b/y.txt")).toBe("x b/y.txt");
    expect(pathFromDiffHeader("diff --git a/caf\u00e9.txt b/caf\u00e9.txt")).toBe("caf\u00e9.txt");
  });

  it("unquotes C-style quoted paths", () => {
    expect(unquoteGitPath('"tab\\there \\"q\\" caf\\303\\251"')).toBe('tab\there "q" caf\u00e9');
    expect(pathFromDiffHeader('diff --git "a/new\\nline" "b/new\\nline"')).toBe("new\nline");
  });
});

describe("addedText", () => {
  it("keeps line numbers through a line map and separates non-adjacent lines", () => {
    const { text, lineMap } = addedText([
      { line: 3, text: "a" },
      { line: 4, text: "b" },
      { line: 9, text: "c" },
    ]);
    expect(text).toBe("a\nb\n\nc");
    expect(lineMap).toEqual([3, 4, 0, 9]);
  });
});
