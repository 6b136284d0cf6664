import { describe, expect, it } from "vitest";
import {
  EXIT_COULD_NOT_CHECK,
  EXIT_OK,
  EXIT_PROBLEM,
  flagSpecOf,
  parseFlags,
  readStackFile,
  redact,
  requireDatabaseUrl,
  run,
  UsageError,
} from "../../../scripts/lib/cli";

const usage = `Usage: x

Options:
  --database-url <url>  where
  --table <name>        only this one
  --strict              warnings fail
  --json                JSON`;

describe("parseFlags", () => {
  it("parses the shared flags and the script's own, in both spellings", () => {
    const flags = parseFlags(
      [
        "--json",
        "--database-url=postgres://x",
        "--stack",
        "staging",
        "--table",
        "public.a",
        "--strict",
        "extra",
      ],
      flagSpecOf(usage),
    );
    expect(flags).toMatchObject({
      json: true,
      help: false,
      databaseUrl: "postgres://x",
      stack: "staging",
      positionals: ["extra"],
    });
    expect(flags.options.get("table")).toBe("public.a");
    expect(flags.options.get("strict")).toBe(true);
  });

  it("refuses unknown flags and missing values", () => {
    expect(() => parseFlags(["--nope"])).toThrow(new UsageError("unknown flag --nope"));
    expect(() => parseFlags(["--stack"])).toThrow("--stack needs a value");
    expect(() => parseFlags(["--stack", "--json"])).toThrow("--stack needs a value");
    expect(() => parseFlags(["--json=1"])).toThrow("--json takes no value");
  });
});

describe("requireDatabaseUrl", () => {
  it("prefers the flag, falls back to DATABASE_URL, and says how to give one", () => {
    expect(requireDatabaseUrl(parseFlags(["--database-url", "a"]), { DATABASE_URL: "b" })).toBe(
      "a",
    );
    expect(requireDatabaseUrl(parseFlags([]), { DATABASE_URL: "b" })).toBe("b");
    expect(() => requireDatabaseUrl(parseFlags([]), {})).toThrow(
      /pass --database-url postgres:\/\/… or set DATABASE_URL/,
    );
  });
});

describe("run", () => {
  async function capture(
    main: Parameters<typeof run>[0],
    argv: string[],
    env: NodeJS.ProcessEnv = {},
  ) {
    const out: string[] = [];
    const err: string[] = [];
    let exited: number | undefined;
    const code = await run(main, {
      usage,
      argv,
      env,
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      exit: (c) => (exited = c),
    });
    return { code, exited, out: out.join("\n"), err: err.join("\n") };
  }

  it("passes the script's exit code through", async () => {
    expect((await capture(async () => EXIT_PROBLEM, [])).code).toBe(1);
    expect((await capture(async () => EXIT_OK, [])).exited).toBe(0);
  });

  it("prints the usage for --help without running the script", async () => {
    let ran = false;
    const result = await capture(async () => ((ran = true), EXIT_OK), ["--help"]);
    expect(ran).toBe(false);
    expect(result.out).toBe(usage);
  });

  it("maps a thrown error to exit 2 with every credential redacted, as JSON with --json", async () => {
    const url = "postgres://admin:hunter2-secret@db.example:5432/app";
    const result = await capture(
      async () => {
        throw new Error(`connect failed for ${url} (password hunter2-secret)`);
      },
      ["--json"],
      { DATABASE_URL: url },
    );
    expect(result.code).toBe(EXIT_COULD_NOT_CHECK);
    expect(result.out + result.err).not.toContain("hunter2-secret");
    expect(JSON.parse(result.out)).toMatchObject({ ok: false, exitCode: 2 });
  });

  it("a usage error is exit 2 and shows the usage", async () => {
    const result = await capture(async () => EXIT_OK, ["--bogus"]);
    expect(result.code).toBe(2);
    expect(result.err).toContain("unknown flag --bogus");
    expect(result.err).toContain("Usage: x");
  });
});

describe("redact and readStackFile", () => {
  it("redacts the password given on the command line, encoded or not", () => {
    const argv = ["--database-url", "postgres://u:p%40ss-w0rd@h/db"];
    expect(redact("bad p@ss-w0rd and p%40ss-w0rd", argv, {})).toBe("bad *** and ***");
  });

  it("reads a stack file's plain runbooks keys and refuses unknown stacks", () => {
    const { path, raw } = readStackFile("local");
    expect(path).toBe("stacks/Pulumi.local.yaml");
    expect(raw.owner).toBe("local-developer");
    expect(() => readStackFile("nope")).toThrow("no stack file stacks/Pulumi.nope.yaml");
    expect(() => readStackFile("../etc")).toThrow("is not a stack name");
  });
});
