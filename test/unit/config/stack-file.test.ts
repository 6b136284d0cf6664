/**
 * `readStackConfig`, the reader every command uses: the same schema and error
 * format as the program, the file actually read named in every error, and
 * secrets never read (only whether they are stored encrypted).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { knownStacks, readStackConfig } from "../../../infra/config/stack-file";
import { thrown } from "./fixtures";

const roots: string[] = [];
function repoWith(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "runbooks-stackfile-"));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

const LOCAL = `config:
  runbooks:owner: dev
  runbooks:features:
    vercel: false
    github: false
    backupStorage: false
    alerts: false
`;

describe("readStackConfig", () => {
  it("reads the committed local stack, without its secret (set at run time)", () => {
    const { context, config, secretKeys } = readStackConfig({ stack: "local" });
    expect(context).toEqual({ stack: "local", stackFile: "stacks/Pulumi.local.yaml" });
    expect(config.database.lockRetries).toBe(3);
    expect(secretKeys).toEqual([]);
  });

  it("lists encrypted keys by name and never needs their values", () => {
    const root = repoWith({
      "stacks/Pulumi.dev.yaml": `${LOCAL}  runbooks:databaseUrl:\n    secure: v1:abc\n`,
    });
    expect(readStackConfig({ stack: "dev", root }).secretKeys).toEqual(["databaseUrl"]);
  });

  it("refuses a named secret stored in plain text, without quoting it", () => {
    const root = repoWith({
      "stacks/Pulumi.dev.yaml": `${LOCAL}  runbooks:databaseUrl: postgres://u:pl41n@h/db\n`,
    });
    const err = thrown(() => readStackConfig({ stack: "dev", root }));
    expect(err.problems.map((p) => p.key)).toEqual(["runbooks:databaseUrl"]);
    expect(err.problems[0]!.message).toContain("stored in plain text in stacks/Pulumi.dev.yaml");
    expect(err.message).not.toContain("pl41n");
  });

  it("names the --config-file it was given in the heading and in every fix", () => {
    const root = repoWith({
      ".local/Pulumi.dev.yaml": `${LOCAL}  runbooks:database: {lockRetries: 2.5}\n`,
    });
    const configFile = join(root, ".local", "Pulumi.dev.yaml");
    const err = thrown(() => readStackConfig({ stack: "dev", configFile, root }));
    expect(err.message).toContain(
      "Invalid configuration for stack 'dev' (.local/Pulumi.dev.yaml):",
    );
    expect(err.problems).toEqual([
      {
        key: "runbooks:database.lockRetries",
        message: "must be a whole number, but is 2.5",
        fix: `edit 'runbooks:database' in .local/Pulumi.dev.yaml, or: pulumi config set --path 'database.lockRetries' <value> -s dev --config-file ${configFile}`,
      },
    ]);
  });

  it("reads a top-level scalar as the engine does: as text", () => {
    const root = repoWith({ "stacks/Pulumi.dev.yaml": `${LOCAL}  runbooks:budgets: 5\n` });
    expect(thrown(() => readStackConfig({ stack: "dev", root })).problems[0]!.message).toBe(
      "must be a list, but is the string '5' (write a list, e.g. [5])",
    );
  });

  it("tells to remove a key nothing uses", () => {
    const root = repoWith({ "stacks/Pulumi.dev.yaml": `${LOCAL}  runbooks:rotaton: {}\n` });
    expect(thrown(() => readStackConfig({ stack: "dev", root })).problems).toEqual([
      {
        key: "runbooks:rotaton",
        message: "is not a setting of this program; did you mean 'rotation'?",
        fix: "remove 'runbooks:rotaton' from stacks/Pulumi.dev.yaml (or rename it to 'runbooks:rotation')",
      },
    ]);
  });

  it("names the known stacks for a stack without a file, and refuses a path as a stack name", () => {
    const root = repoWith({ "stacks/Pulumi.dev.yaml": LOCAL, "stacks/Pulumi.prod.yaml": LOCAL });
    expect(knownStacks(root)).toEqual(["dev", "prod"]);
    expect(thrown(() => readStackConfig({ stack: "nope", root })).problems[0]!.fix).toContain(
      "dev, prod",
    );
    expect(thrown(() => readStackConfig({ stack: "../etc", root })).problems[0]!.message).toContain(
      "is not a stack name",
    );
  });

  it("reports YAML it cannot parse, naming the file", () => {
    const root = repoWith({ "stacks/Pulumi.dev.yaml": "config: [unclosed\n" });
    const err = thrown(() => readStackConfig({ stack: "dev", root }));
    expect(err.problems[0]!.fix).toBe("fix the YAML syntax in stacks/Pulumi.dev.yaml");
  });
});
