import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { describeRepair, repairInterruptedCheckpoints } from "../../../infra/local/state-repair";

let dir: string;

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function backend(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), "state-repair-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe("repairInterruptedCheckpoints", () => {
  it("removes empty and truncated .attrs sidecars and keeps the checkpoints and good sidecars", () => {
    const stacks = ".pulumi/stacks/runbooks";
    const root = backend({
      [`${stacks}/local.json`]: '{"version":3}',
      [`${stacks}/local.json.attrs`]: "",
      [`${stacks}/local.json.bak`]: '{"version":3}',
      [`${stacks}/local.json.bak.attrs`]: '{"user.content_type":"text/pl',
      [`${stacks}/other.json.attrs`]: '{"md5":"x"}',
      ".pulumi/meta.yaml.attrs": '{"md5":"y"}',
    });
    expect(repairInterruptedCheckpoints(root)).toEqual([
      `${stacks}/local.json.attrs`,
      `${stacks}/local.json.bak.attrs`,
    ]);
    expect(readdirSync(join(root, stacks)).sort()).toEqual([
      "local.json",
      "local.json.bak",
      "other.json.attrs",
    ]);
    expect(repairInterruptedCheckpoints(root)).toEqual([]);
  });

  it("does nothing on a backend that does not exist yet, and says what it repaired and why", () => {
    expect(repairInterruptedCheckpoints(join(tmpdir(), "no-such-state-dir"))).toEqual([]);
    dir = mkdtempSync(join(tmpdir(), "state-repair-"));
    expect(describeRepair(".state/", ["a.json.attrs"])).toContain(
      'removed a.json.attrs — empty or truncated checkpoint metadata left by a pulumi command that was killed while saving, which made every command fail with "failed to load checkpoint: EOF"',
    );
  });
});
