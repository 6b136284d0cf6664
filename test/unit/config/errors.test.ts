/**
 * The error format: which file it names (the one actually read), how a fix
 * reads for a plain, a `--config-file` and a generated stack file, and the
 * typo suggestions.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  CONFIG_FILE_ENV,
  CONFIG_SOURCE_ENV,
  ConfigError,
  closest,
  editFix,
  keysAt,
  parseWith,
  runContext,
  secretSetCommand,
  stackConfigSchema,
  unknownKeyProblem,
  type ConfigContext,
} from "../../../infra/config/index";
import { REPO_ROOT } from "../../../infra/lib/paths";
import { z } from "zod";
import { thrown } from "./fixtures";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "runbooks-config-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("runContext: which stack file a Pulumi run read", () => {
  it("is stacks/Pulumi.<stack>.yaml for this repository (Pulumi.yaml: stackConfigDir: stacks)", () => {
    expect(runContext("staging", { root: REPO_ROOT, env: {} })).toEqual({
      stack: "staging",
      stackFile: "stacks/Pulumi.staging.yaml",
    });
  });

  it("follows the project's stackConfigDir, or the project directory without one", () => {
    const root = tempDir();
    writeFileSync(join(root, "Pulumi.yaml"), "name: x\nruntime: nodejs\n");
    expect(runContext("dev", { root, env: {} }).stackFile).toBe("Pulumi.dev.yaml");
    writeFileSync(join(root, "Pulumi.yaml"), "name: x\nruntime: nodejs\nstackConfigDir: conf\n");
    expect(runContext("dev", { root, env: {} }).stackFile).toBe(join("conf", "Pulumi.dev.yaml"));
  });

  it("names the --config-file file and its source when npm run local says so", () => {
    const root = tempDir();
    const file = join(root, ".local", "Pulumi.local.yaml");
    mkdirSync(join(root, ".local"));
    writeFileSync(file, "config: {}\n");
    const env = {
      [CONFIG_FILE_ENV]: file,
      [CONFIG_SOURCE_ENV]: join(root, "stacks", "Pulumi.local.yaml"),
    };
    expect(runContext("local", { root, env })).toEqual({
      stack: "local",
      stackFile: join(".local", "Pulumi.local.yaml"),
      configFile: file,
      sourceFile: join("stacks", "Pulumi.local.yaml"),
    });
  });

  it("ignores a RUNBOOKS_CONFIG_FILE that does not exist (left over in a shell)", () => {
    const env = { [CONFIG_FILE_ENV]: join(tempDir(), "gone.yaml") };
    expect(runContext("staging", { root: REPO_ROOT, env }).stackFile).toBe(
      "stacks/Pulumi.staging.yaml",
    );
  });
});

describe("fixes", () => {
  const plain: ConfigContext = { stack: "staging", stackFile: "stacks/Pulumi.staging.yaml" };
  const viaFlag: ConfigContext = {
    stack: "staging",
    stackFile: "/tmp/run/Pulumi.staging.yaml",
    configFile: "/tmp/run/Pulumi.staging.yaml",
  };
  const generated: ConfigContext = {
    stack: "local",
    stackFile: ".local/Pulumi.local.yaml",
    configFile: "/repo/.local/Pulumi.local.yaml",
    sourceFile: "stacks/Pulumi.local.yaml",
  };

  it("offers `pulumi config set --path`, with --config-file when the run used one", () => {
    expect(editFix(plain, ["database", "lockRetries"])).toBe(
      "edit 'runbooks:database' in stacks/Pulumi.staging.yaml, or: pulumi config set --path 'database.lockRetries' <value> -s staging",
    );
    expect(editFix(viaFlag, ["database", "lockRetries"])).toBe(
      "edit 'runbooks:database' in /tmp/run/Pulumi.staging.yaml, or: pulumi config set --path 'database.lockRetries' <value> -s staging --config-file /tmp/run/Pulumi.staging.yaml",
    );
    expect(secretSetCommand(viaFlag, "databaseUrl", "<url>")).toBe(
      "pulumi config set --secret databaseUrl '<url>' -s staging --config-file /tmp/run/Pulumi.staging.yaml",
    );
  });

  it("for a generated file, names the file to edit and no command that the next run would undo", () => {
    expect(editFix(generated, ["database", "lockRetries"])).toBe(
      "edit 'runbooks:database' in stacks/Pulumi.local.yaml",
    );
    expect(editFix(generated, ["owner"])).toBe(
      `set 'runbooks:owner' in stacks/Pulumi.local.yaml (see README "Configuration")`,
    );
    const err = new ConfigError(generated, []);
    expect(err.message).toBe(
      "Invalid configuration for stack 'local' (.local/Pulumi.local.yaml, generated from stacks/Pulumi.local.yaml):",
    );
  });

  it("an unknown key is to be removed from the file a person edits", () => {
    expect(unknownKeyProblem(generated, ["database"], "lockRetrys", ["lockRetries"])).toEqual({
      key: "runbooks:database",
      message: "unknown key 'lockRetrys'; did you mean 'lockRetries'?",
      fix: "remove 'lockRetrys' from 'runbooks:database' in stacks/Pulumi.local.yaml (or rename it to 'lockRetries')",
    });
  });
});

describe("typo suggestions", () => {
  it.each([
    ["projectname", "projectName"],
    ["lcokRetries", "lockRetries"],
    ["exposedSchema", "exposedSchemas"],
    ["rsl", "rls"],
    ["p1", "P1"],
  ])("%s → %s", (word, expected) => {
    expect(closest(word, ["projectName", "lockRetries", "exposedSchemas", "rls", "P1"])).toBe(
      expected,
    );
  });

  it.each(["P5", "colour", "zzzzzz"])("%s is too far from every key to guess", (word) => {
    expect(closest(word, ["P0", "P1", "P2", "P3", "owner", "features"])).toBeUndefined();
  });

  it("knows the keys of objects, list entries, union options and enum-keyed records", () => {
    expect(keysAt(stackConfigSchema, ["database"])).toContain("lockRetries");
    expect(keysAt(stackConfigSchema, ["vercel", "env", 0])).toContain("targets");
    expect(keysAt(stackConfigSchema, ["backup", "bucket"]).sort()).toEqual(["mode", "name"]);
    expect(keysAt(stackConfigSchema, ["alerts", "routes"])).toEqual(["P0", "P1", "P2", "P3"]);
    expect(keysAt(stackConfigSchema, ["alerts", "routes", "P1"])).toContain("emails");
  });
});

describe("zod issues keep a schema's own message", () => {
  it("rewrites zod's defaults but not a message the schema gives", () => {
    const schema = z
      .object({
        a: z.array(z.string()).min(1, "needs at least one target"),
        b: z.number().max(3),
      })
      .strict();
    const err = thrown(() =>
      parseWith(schema, { a: [], b: 4 }, { stack: "s", stackFile: "f" }, ["x"]),
    );
    expect(err.problems.map((p) => [p.key, p.message])).toEqual([
      ["runbooks:x.a", "needs at least one target"],
      ["runbooks:x.b", "must be at most 3, but is 4"],
    ]);
  });
});
