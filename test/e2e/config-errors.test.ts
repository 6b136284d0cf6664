/**
 * A configuration mistake through the real engine reads as one clear block:
 * the stack, the file that was read, each key with what is wrong and the fix.
 * No stack trace, no object dump, no terminal escapes, exit code 1, and no
 * secret value anywhere in the output.
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { localConfigFileEnv } from "../../infra/local/stack";
import { ensurePulumiCli } from "../../infra/tools/pulumi-cli";
import {
  createE2eStack,
  credentialUrls,
  leakedSecrets,
  type CliResult,
  type E2eStack,
} from "../support/engine";

const STEP = { timeout: 300_000 };

let e: E2eStack;

/** The CLI in the project directory with extra environment (what `npm run local` adds). */
async function pulumi(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const { bin } = await ensurePulumiCli({ quiet: true });
  const result = await e.timed(
    `pulumi ${args[0]}`,
    () =>
      new Promise<CliResult>((resolve, reject) => {
        const child = spawn(bin, [...args, "--non-interactive"], {
          cwd: e.workDir,
          env: { ...e.env, ...extraEnv },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
        child.stdin.end();
      }),
  );
  e.record(result.stdout, result.stderr);
  return result;
}

/** Write the stack's config file with `runbooks:database` changed. */
function withDatabase(file: string, change: (database: Record<string, unknown>) => void): void {
  const doc = parseYaml(readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  const database = { ...(doc.config["runbooks:database"] as Record<string, unknown>) };
  change(database);
  doc.config["runbooks:database"] = database;
  writeFileSync(file, stringifyYaml(doc));
}

/** The lines of the engine's error for the stack, from `error:` to the end of that diagnostic. */
function errorBlock(output: string): string[] {
  const lines = output.split("\n");
  const start = lines.findIndex((l) => /^\s*error: /.test(l));
  if (start < 0) return [];
  const indent = /^\s*/.exec(lines[start]!)![0].length;
  const block = [lines[start]!];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === "" || /^\s*/.exec(line)![0].length <= indent) break;
    block.push(line);
  }
  return block;
}

function expectClean(output: string): void {
  expect(leakedSecrets(output, e.secretValues), "secret values (by index)").toEqual([]);
  expect(credentialUrls(output), "URLs with credentials").toEqual([]);
  // eslint-disable-next-line no-control-regex -- the point is to find terminal escapes
  expect(output, "terminal escape sequences").not.toMatch(/\u001b\[/);
  expect(output, "stack frames").not.toMatch(/^\s+at .+[(:]\d+/m);
  expect(output).not.toContain("unhandled exception");
}

beforeAll(async () => {
  e = await createE2eStack("configerrors");
}, 300_000);

afterAll(async () => {
  await e?.dispose();
});

describe("a configuration mistake through the engine", () => {
  it("is one block naming each key, what was given and the fix", STEP, async () => {
    const original = readFileSync(e.configFile, "utf8");
    withDatabase(e.configFile, (d) => {
      d.lockRetries = 2.5;
      d.lockTimeoutSeconds = "abc";
      d.exposedSchema = ["public"];
    });
    try {
      const result = await pulumi(["preview", "-s", e.stackName]);
      const output = `${result.stdout}\n${result.stderr}`;
      expect(result.code).toBe(1);
      expectClean(output);
      const block = errorBlock(output);
      expect(block.join("\n")).toContain(
        "error: Invalid configuration for stack 'local' (Pulumi.local.yaml):",
      );
      const text = block.map((l) => l.trim()).join("\n");
      expect(text).toContain("- runbooks:database.lockRetries: must be a whole number, but is 2.5");
      expect(text).toContain(
        "- runbooks:database.lockTimeoutSeconds: must be a number, but is the string 'abc'",
      );
      expect(text).toContain("- runbooks:database: unknown key 'exposedSchema'");
      expect(text).toContain("did you mean 'exposedSchemas'?");
      expect(text).toContain(
        "fix: remove 'exposedSchema' from 'runbooks:database' in Pulumi.local.yaml",
      );
      expect(text).toContain(
        "fix: edit 'runbooks:database' in Pulumi.local.yaml, or: pulumi config set --path 'database.lockRetries' <value> -s local\n",
      );
      expect(text).not.toContain("required but not set");
      // Three problems, each a line plus its fix, under one heading.
      expect(block.length).toBeLessThan(12);
    } finally {
      writeFileSync(e.configFile, original);
    }
  });

  it(
    "names the --config-file that `npm run local` passes, and the file to edit",
    STEP,
    async () => {
      const runDir = join(e.root, "run");
      mkdirSync(runDir, { recursive: true });
      const runtime = join(runDir, `Pulumi.${e.stackName}.yaml`);
      copyFileSync(e.configFile, runtime);
      withDatabase(runtime, (d) => (d.lockRetries = 99));
      const result = await pulumi(
        ["preview", "-s", e.stackName, "--config-file", runtime],
        localConfigFileEnv(runtime, e.configFile),
      );
      const output = `${result.stdout}\n${result.stderr}`;
      expect(result.code).toBe(1);
      expectClean(output);
      const text = errorBlock(output)
        .map((l) => l.trim())
        .join("\n");
      expect(text).toContain(
        `Invalid configuration for stack 'local' (${runtime}, generated from Pulumi.local.yaml):`,
      );
      expect(text).toContain("- runbooks:database.lockRetries: must be at most 20, but is 99");
      expect(text).toContain("fix: edit 'runbooks:database' in Pulumi.local.yaml");
    },
  );
});
