/**
 * The runner, in-process, with a command made for the test: flags, --help,
 * the stack and the connection string, exit codes, the JSON envelope, quiet
 * output, errors as one block, and redaction of everything it prints.
 */
import { describe, expect, it } from "vitest";
import type { Finding } from "../../../infra/lib/findings";
import { checkArgv, parseArgv } from "../../../scripts/lib/args";
import {
  defineCommand,
  UsageError,
  type ArgSpecs,
  type CommandContext,
  type CommandResult,
} from "../../../scripts/lib/command";
import { runCommand, type Envelope } from "../../../scripts/lib/runner";

const ARGS = {
  table: { type: "string", valueHint: "name", description: "only this one" },
  strict: { type: "boolean", description: "medium findings fail" },
  top: { type: "number", description: "how many", default: 10, min: 1, max: 100, integer: true },
} as const satisfies ArgSpecs;

type Ctx = CommandContext<typeof ARGS, unknown>;

function command(run: (ctx: Ctx) => Promise<CommandResult>) {
  return defineCommand({
    name: "test:cmd",
    description: "A command for the runner's tests",
    help: "It does what the test says.",
    shared: ["stack", "database-url", "json", "quiet"],
    args: ARGS,
    failOn: (args) => (args.strict ? "medium" : "high"),
    run,
  });
}

const finding = (
  id: string,
  severity: Finding["severity"],
  extra: Partial<Finding> = {},
): Finding => ({
  id,
  severity,
  subject: `${id} subject`,
  message: `${id} message`,
  fix: severity === "info" ? "" : `fix ${id}`,
  ...extra,
});

const URL_OK = "postgres://admin:hunter2-secret@db.example:5432/app";

async function capture(
  run: (ctx: Ctx) => Promise<CommandResult>,
  argv: string[],
  env: NodeJS.ProcessEnv = { DATABASE_URL: URL_OK },
) {
  const out: string[] = [];
  const err: string[] = [];
  let seen: Ctx | undefined;
  const code = await runCommand(
    command(async (ctx) => {
      seen = ctx;
      return run(ctx);
    }),
    { argv, env, stdout: (t) => out.push(t), stderr: (t) => err.push(t) },
  );
  return { code, out: out.join("\n"), err: err.join("\n"), ctx: seen };
}

const ok = async () => ({ findings: [finding("fine", "info")] });

describe("flags", () => {
  const cmd = command(ok);

  it("parses the shared flags and the command's own, in both spellings", () => {
    const argv = [
      "--json",
      "--database-url=postgres://x",
      "-s",
      "staging",
      "--table",
      "public.a",
      "--strict",
      "--top=7",
    ];
    checkArgv(argv, cmd);
    expect(parseArgv(argv, cmd)).toMatchObject({
      json: true,
      quiet: false,
      "database-url": "postgres://x",
      stack: "staging",
      table: "public.a",
      strict: true,
      top: 7,
    });
    expect(parseArgv([], cmd)).toMatchObject({
      json: false,
      strict: false,
      top: 10,
      table: undefined,
    });
  });

  it("refuses unknown flags, stray arguments, missing values and values for booleans", () => {
    expect(() => checkArgv(["--nope"], cmd)).toThrow(new UsageError("unknown flag --nope"));
    expect(() => checkArgv(["-x"], cmd)).toThrow("unknown flag -x");
    expect(() => checkArgv(["--stack"], cmd)).toThrow("--stack needs a value");
    expect(() => checkArgv(["--stack", "--json"], cmd)).toThrow("--stack needs a value");
    expect(() => checkArgv(["--stack="], cmd)).toThrow("--stack needs a value");
    expect(() => checkArgv(["--json=1"], cmd)).toThrow("--json takes no value");
    expect(() => checkArgv(["extra"], cmd)).toThrow("unexpected argument 'extra'");
  });

  it("names the range of a number flag", () => {
    expect(() => parseArgv(["--top", "0"], cmd)).toThrow("--top must be from 1 to 100, got 0");
    expect(() => parseArgv(["--top", "many"], cmd)).toThrow(
      "--top must be a whole number from 1 to 100, got 'many'",
    );
  });

  it("refuses a shared flag the command does not take, saying so", () => {
    const noDb = defineCommand({ name: "x:y", description: "d", shared: ["json"], run: ok });
    expect(() => checkArgv(["--database-url", "x"], noDb)).toThrow(
      "x:y does not take --database-url (unknown flag --database-url)",
    );
    expect(() => checkArgv(["-s", "local"], noDb)).toThrow("unknown flag -s");
  });
});

describe("runCommand", () => {
  it("passes the command's verdict through as the exit code, by its failing level", async () => {
    expect((await capture(ok, [])).code).toBe(0);
    expect((await capture(async () => ({ findings: [finding("bad", "high")] }), [])).code).toBe(1);
    const medium = async () => ({ findings: [finding("meh", "medium")] });
    expect((await capture(medium, [])).code).toBe(0);
    expect((await capture(medium, ["--strict"])).code).toBe(1);
    const unknown = async () => ({ findings: [finding("ext", "high", { couldNotCheck: true })] });
    expect((await capture(unknown, [])).code).toBe(2);
  });

  it("prints the usage for --help without running the command", async () => {
    let ran = false;
    const result = await capture(
      async () => ((ran = true), { findings: [] }),
      ["--help", "--bogus"],
    );
    expect(ran).toBe(false);
    expect(result.code).toBe(0);
    expect(result.out).toContain("USAGE runbooks test:cmd [OPTIONS]");
    expect(result.out).toMatch(/--table=<name>\s+only this one/);
    expect(result.out).toMatch(/-s, --stack=<name>/);
    expect(result.out).toContain("--top=<top>");
    expect(result.out).toContain("(Default: 10)");
    expect(result.out).toContain("It does what the test says.");
    expect(result.out).toContain("Also: npm run test:cmd -- [OPTIONS]");
    expect(result.out).toContain(
      "Exit codes: 0 nothing at or above high, 1 a problem at or above high, 2 could not check.",
    );
    expect(result.out).not.toContain("\u001b[");
  });

  it("renders the text, the findings most severe first, notes and the verdict", async () => {
    const result = await capture(
      async () => ({
        findings: [finding("fine", "info"), finding("bad", "high", { details: ["row 1"] })],
        text: ["Header line"],
        notes: ["(a note)"],
      }),
      [],
    );
    expect(result.out.split("\n")).toEqual([
      "Header line",
      "",
      "HIGH      bad message",
      "          row 1",
      "          fix: fix bad",
      "          [bad] bad subject",
      "ok        fine message",
      "(a note)",
      "Result: PROBLEMS FOUND (exit 1) — 0 critical, 1 high, 0 medium, 0 low, 1 info",
    ]);
    expect(result.err).toBe("");
  });

  it("with --quiet prints only the problems and the verdict", async () => {
    const result = await capture(
      async () => ({
        findings: [finding("fine", "info"), finding("bad", "high")],
        text: ["Header"],
      }),
      ["-q"],
    );
    expect(result.out).not.toContain("Header");
    expect(result.out).not.toContain("fine message");
    expect(result.out).toContain("HIGH      bad message");
    expect(result.out).toMatch(/Result: PROBLEMS FOUND \(exit 1\)/);
  });

  it("prints one JSON envelope with --json", async () => {
    const result = await capture(
      async () => ({
        findings: [finding("fine", "info"), finding("bad", "high")],
        report: { rows: 2 },
      }),
      ["--json"],
    );
    const envelope = JSON.parse(result.out) as Envelope;
    expect(Object.keys(envelope)).toEqual([
      "command",
      "ok",
      "exitCode",
      "summary",
      "findings",
      "report",
    ]);
    expect(envelope).toMatchObject({
      command: "test:cmd",
      ok: false,
      exitCode: 1,
      summary: { critical: 0, high: 1, medium: 0, low: 0, info: 1, couldNotCheck: 0 },
      report: { rows: 2 },
    });
    expect(envelope.findings.map((f) => f.id)).toEqual(["bad", "fine"]);
  });

  it("maps a thrown error to exit 2, one block, every credential redacted — as JSON with --json", async () => {
    const boom = async (): Promise<CommandResult> => {
      throw new Error(`connect failed for ${URL_OK} (password hunter2-secret)`);
    };
    const result = await capture(boom, ["--json"]);
    expect(result.code).toBe(2);
    expect(result.out + result.err).not.toContain("hunter2-secret");
    expect(JSON.parse(result.out)).toMatchObject({
      command: "test:cmd",
      ok: false,
      exitCode: 2,
      findings: [],
      error: "connect failed for *** (password ***)",
    });
    expect(result.err).toBe("error: could not check: connect failed for *** (password ***)");
    const text = await capture(boom, []);
    expect(text.err.split("\n")).toHaveLength(1);
    expect(text.err).not.toMatch(/\n\s+at /);
  });

  it("a usage error is exit 2 and shows the usage", async () => {
    const result = await capture(ok, ["--bogus"]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^error: unknown flag --bogus\n\n/);
    expect(result.err).toContain("USAGE runbooks test:cmd");
    expect(result.out).toBe("");
  });

  it("redacts the password given on the command line, encoded or not, in every output", async () => {
    const url = "postgres://u:p%40ss-w0rd@h/db";
    const leak = async () => ({
      findings: [finding("x", "high", { message: "bad p@ss-w0rd and p%40ss-w0rd" })],
      report: { echoed: "p@ss-w0rd" },
    });
    for (const extra of [[], ["--json"], ["--quiet"]]) {
      const result = await capture(leak, ["--database-url", url, ...extra], {});
      expect(result.out).toContain("***");
      expect(result.out + result.err).not.toMatch(/p@ss-w0rd|p%40ss-w0rd/);
    }
  });

  it("takes the connection string from --database-url, else DATABASE_URL, validated", async () => {
    const viaFlag = await capture(ok, ["--database-url", "postgres://a:b@flag.example/one"], {
      DATABASE_URL: "postgres://a:b@env.example/two",
    });
    expect(viaFlag.ctx?.database.target).toBe("flag.example:5432/one");
    const viaEnv = await capture(ok, [], { DATABASE_URL: "postgres://a:b@env.example/two" });
    expect(viaEnv.ctx?.database.target).toBe("env.example:5432/two");
    const none = await capture(ok, [], {});
    expect(none.code).toBe(2);
    expect(none.err).toContain(
      "no database to check: pass --database-url postgres://… or set DATABASE_URL",
    );
    const bad = await capture(ok, [], { DATABASE_URL: "postgress://a:hunter2-secret@h/db" });
    expect(bad.code).toBe(2);
    expect(bad.ctx).toBeUndefined();
    expect(bad.err).toContain(
      "error: the connection string from DATABASE_URL has the unknown scheme 'postgress:'",
    );
    expect(bad.err).not.toContain("hunter2-secret");
  });

  it("reads the stack through the config reader, and refuses a stack that does not exist", async () => {
    const local = await capture(ok, ["-s", "local"]);
    expect(local.code).toBe(0);
    expect(local.ctx?.stack?.config.owner).toBe("local-developer");
    expect(local.ctx?.stack?.context.stackFile).toBe("stacks/Pulumi.local.yaml");
    const nosuch = await capture(ok, ["--stack", "nosuch"]);
    expect(nosuch.code).toBe(2);
    expect(nosuch.ctx).toBeUndefined();
    expect(nosuch.err).toContain("no stack 'nosuch': stacks/Pulumi.nosuch.yaml does not exist");
    expect(nosuch.err).not.toContain("USAGE");
    const escape = await capture(ok, ["--stack", "../etc"]);
    expect(escape.code).toBe(2);
    expect(escape.err).toContain("is not a stack name");
  });

  it("names the stack's own secret key when no database is given with --stack", async () => {
    const result = await capture(ok, ["-s", "staging"], {});
    expect(result.code).toBe(2);
    expect(result.err).toContain('DATABASE_URL="$(pulumi config get databaseUrl -s staging)"');
  });

  it("always runs the command's cleanup, also when it throws", async () => {
    let cleaned = 0;
    const cmd = defineCommand({
      name: "c:c",
      description: "d",
      shared: [],
      cleanup: async () => void cleaned++,
      run: async () => {
        throw new Error("fails");
      },
    });
    expect(await runCommand(cmd, { stdout: () => undefined, stderr: () => undefined })).toBe(2);
    expect(cleaned).toBe(1);
  });
});
