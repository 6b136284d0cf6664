/**
 * The README's Architecture section is the map a newcomer reads: every
 * capability folder must be on it, and nothing on it may be gone.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../infra/lib/paths";

function architectureBlock(): string[] {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Architecture"));
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error("README.md has no tree in its Architecture section");
  return block.split("\n");
}

/** `infra/`, `  rls/`, `  bin/` → full paths, from the indentation. */
function listedPaths(lines: string[]): string[] {
  const paths: string[] = [];
  let top = "";
  for (const line of lines) {
    const match = /^( *)(\S+)/.exec(line);
    if (!match || (match[1]!.length > 2 && !match[2]!.includes("/"))) continue;
    const [, indent, name] = match;
    if (indent!.length === 0) {
      top = name!.replace(/\/$/, "");
      paths.push(top);
    } else if (indent!.length === 2) paths.push(`${top}/${name!.replace(/\/$/, "")}`);
  }
  return paths;
}

const subfolders = (dir: string) =>
  readdirSync(join(REPO_ROOT, dir)).filter((f) => statSync(join(REPO_ROOT, dir, f)).isDirectory());

describe("README Architecture", () => {
  const listed = listedPaths(architectureBlock());

  it("names only paths that exist", () => {
    expect(listed.length).toBeGreaterThan(20);
    expect(listed.filter((p) => !existsSync(join(REPO_ROOT, p)))).toEqual([]);
  });

  it("names every folder of infra/ (each runbook capability and shared layer)", () => {
    const missing = subfolders("infra").filter((d) => !listed.includes(`infra/${d}`));
    expect(missing).toEqual([]);
  });

  it("names every top-level folder of the repository", () => {
    const top = readdirSync(REPO_ROOT).filter(
      (f) =>
        !f.startsWith(".") && f !== "node_modules" && statSync(join(REPO_ROOT, f)).isDirectory(),
    );
    expect(top.filter((d) => !listed.includes(d))).toEqual([]);
  });
});
