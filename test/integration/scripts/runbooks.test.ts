/**
 * One dispatcher behind `runbooks <command>`, `npm run <command>` and
 * `tsx scripts/<command>.ts`: the registry, the generated help, and the
 * launcher and npm scripts that lead to it (spawned once each, since what is
 * tested there is the process entry itself).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../infra/lib/paths";
import { COMMANDS, dispatch } from "../../../scripts/runbooks";

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await dispatch(argv, {
    env: {},
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
  });
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

const PW = "Launch-Secret-77";

describe("runbooks", () => {
  it("lists every command with its description for --help", async () => {
    const result = await run(["--help"]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    for (const c of COMMANDS)
      expect(lines.some((l) => l.includes(c.name) && l.includes(c.description))).toBe(true);
    // The registry and package.json's npm scripts name the same commands,
    // so `npm run <name>` exists for every command and leads to it.
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));
    const viaNpm = Object.entries(pkg.scripts as Record<string, string>)
      .filter(([name, cmd]) => cmd === `node scripts/bin/runbooks.js ${name}`)
      .map(([name]) => name);
    expect(COMMANDS.map((c) => c.name).sort()).toEqual(viaNpm.sort());
    expect(COMMANDS.length).toBeGreaterThanOrEqual(12);
    // The first thing the on-call engineer runs comes first in --help.
    expect(COMMANDS[0]!.name).toBe("incident");
  });

  it("refuses an unknown or missing command with the list (exit 2)", async () => {
    const unknown = await run(["db:nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: unknown command 'db:nope'");
    expect(unknown.stderr).toContain("rls:smoke");
    expect((await run([])).stderr).toContain("error: no command given");
  });

  it("runs each command's generated --help", async () => {
    for (const c of COMMANDS) {
      const result = await run([c.name, "--help"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`USAGE runbooks ${c.name} [OPTIONS]`);
      expect(result.stdout).toContain(`Also: npm run ${c.name} -- [OPTIONS]`);
      expect(result.stdout).toMatch(/-h, --help\s+show this help/);
    }
  });

  it("keeps the runbook's names as npm scripts, all through the one launcher", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
    };
    expect(pkg.bin).toEqual({ runbooks: "scripts/bin/runbooks.js" });
    for (const c of COMMANDS)
      expect(pkg.scripts[c.name]).toBe(`node scripts/bin/runbooks.js ${c.name}`);
    expect(pkg.dependencies.tsx).toBeDefined();
    expect(pkg.dependencies.citty).toBeDefined();
  });

  it("the launcher runs a command as a process: exit code, --json, no password", () => {
    const result = spawnSync(process.execPath, ["scripts/bin/runbooks.js", "db:status", "--json"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      env: { PATH: process.env.PATH, DATABASE_URL: `postgres:/postgres:${PW}@127.0.0.1:5432/db` },
      timeout: 60_000,
    });
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ command: "db:status", exitCode: 2 });
    expect(result.stderr).toContain("needs exactly '//' after 'postgres:'");
    expect(result.stdout + result.stderr).not.toContain(PW);
    const help = spawnSync(process.execPath, ["scripts/bin/runbooks.js", "--help"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("rls:lint");
  });

  it("a command file run directly with tsx behaves the same", () => {
    const result = spawnSync(
      process.execPath,
      [require.resolve("tsx/cli"), "scripts/health-check.ts", "--database-url", "x"],
      { cwd: REPO_ROOT, encoding: "utf8", env: { PATH: process.env.PATH }, timeout: 60_000 },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("health:check does not take --database-url");
  });
});
