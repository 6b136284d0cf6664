/**
 * Which Pulumi CLI runs the program: an installed one at or above the SDK's
 * version within its major version, else our build from Go modules. The
 * installed CLIs here are real executables on a temporary PATH.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PULUMI_VERSION, cliVersionProblem, findAmbientCli } from "../../../infra/tools/pulumi-cli";

describe("cliVersionProblem", () => {
  it.each([
    [`v${PULUMI_VERSION}`, undefined],
    ["v3.275.1", undefined],
    ["v3.249.0-alpha.1716", undefined],
    ["3.300.0", undefined],
    ["v3.247.9", "older than"],
    ["v3.100.0", "older than"],
    ["v4.0.0", "another major version"],
    ["v2.999.0", "another major version"],
    ["nonsense", "does not report a version"],
    [undefined, "does not report a version"],
  ])("%s → %s", (version, problem) => {
    const found = cliVersionProblem(version);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe("findAmbientCli", () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  function install(version: string, withHost = true): string {
    const dir = mkdtempSync(join(tmpdir(), "runbooks-pulumi-"));
    dirs.push(dir);
    const script = (body: string) => `#!/bin/sh\n${body}\n`;
    writeFileSync(join(dir, "pulumi"), script(`echo ${version}`));
    chmodSync(join(dir, "pulumi"), 0o755);
    if (withHost) {
      writeFileSync(join(dir, "pulumi-language-nodejs"), script("exit 0"));
      chmodSync(join(dir, "pulumi-language-nodejs"), 0o755);
    }
    return dir;
  }

  it("uses a newer CLI of the same major version", () => {
    const dir = install("v3.275.0");
    expect(findAmbientCli([dir, "/usr/bin"].join(delimiter))).toEqual({
      cli: { bin: join(dir, "pulumi"), binDir: dir, version: "v3.275.0", built: false },
    });
  });

  it("judges only the first pulumi on PATH, as a shell would run it", () => {
    const old = install("v3.100.0");
    const fresh = install("v3.275.0");
    const choice = findAmbientCli([old, fresh].join(delimiter));
    expect(choice.cli).toBeUndefined();
    expect(choice.rejected).toBe(
      `${join(old, "pulumi")} is v3.100.0, older than the SDK's v${PULUMI_VERSION}`,
    );
  });

  it("refuses an install without a Node.js language host, and says so", () => {
    const dir = install("v3.275.0", false);
    expect(findAmbientCli(dir).rejected).toContain("has no pulumi-language-nodejs on PATH");
  });

  it("reports nothing when there is no pulumi on PATH (the Go build follows)", () => {
    expect(findAmbientCli(mkdtempSync(join(tmpdir(), "runbooks-empty-")))).toEqual({});
  });
});
