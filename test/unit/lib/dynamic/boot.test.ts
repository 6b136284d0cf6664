/**
 * boot.cjs in a provider process as the engine starts it: a plain node with
 * only the environment of whoever ran `pulumi`.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BOOT_PATH } from "../../../../infra/lib/dynamic/stub";
import { REPO_ROOT } from "../../../../infra/lib/paths";

function providerProcess(env: Record<string, string>) {
  // What a backup provider call does first: load the provider, then make an S3 client.
  const script = `
    const provider = require(${JSON.stringify(join(REPO_ROOT, BOOT_PATH))}).load("runbooks:backups:BackupJob");
    const { S3Client } = require("@aws-sdk/client-s3");
    new S3Client({ region: "us-east-1" });
    setTimeout(() => console.log(provider.providerId), 50);
  `;
  return spawnSync(process.execPath, ["-e", script], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    timeout: 60_000,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
  });
}

describe("boot.cjs in a provider process", () => {
  it("loads the provider without the AWS SDK's Node version notice, which the engine would show on every up", () => {
    const run = providerProcess({});
    expect(run.stderr).not.toMatch(/NodeVersionSupportWarning|require node >=22/);
    expect(run.stdout.trim()).toBe("runbooks:backups:BackupJob");
  });

  it("leaves a user's own choice alone", () => {
    const run = providerProcess({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "false" });
    expect(run.stdout.trim()).toBe("runbooks:backups:BackupJob");
    // The SDK gives the notice on Node versions it will stop supporting (this machine has Node 20).
    if (Number(process.versions.node.split(".")[0]) < 22)
      expect(run.stderr).toMatch(/NodeVersionSupportWarning/);
  });
});
