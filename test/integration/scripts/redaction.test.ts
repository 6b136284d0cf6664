/**
 * The hostile test of the database commands: every malformed form of a
 * connection string, given by flag or by DATABASE_URL, in every output form
 * (text, --json, --quiet), must be refused as "could not check" (exit 2)
 * without printing the password, raw or percent-encoded; and so must a
 * well-formed one with a wrong password against the real server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../infra/local/postgres";
import { closePools } from "../../../infra/postgres/client";
import type { AnyCommand } from "../../../scripts/lib/command";
import { dbPerformance } from "../../../scripts/db-performance";
import { dbStatus } from "../../../scripts/db-status";
import { rlsDrift } from "../../../scripts/rls-drift";
import { rlsImport } from "../../../scripts/rls-import";
import { rlsLint } from "../../../scripts/rls-lint";
import { rlsSmoke } from "../../../scripts/rls-smoke";
import { services } from "../../support/services";
import { runScript } from "../checks/helpers";

const PW = "Hostile-Pw-4711";
const COMMANDS: AnyCommand[] = [dbStatus, dbPerformance, rlsLint, rlsSmoke, rlsDrift, rlsImport];

/** What a command needs besides the connection to get as far as connecting. */
const NEEDS: ReadonlyMap<AnyCommand, string[]> = new Map([[rlsDrift, ["-s", "local"]]]);
const argvOf = (command: AnyCommand, argv: readonly string[]) => [
  ...(NEEDS.get(command) ?? []),
  ...argv,
];

const MALFORMED: [string, string, string][] = [
  ["one slash", `postgres:/postgres:${PW}@127.0.0.1:5432/db`, "needs exactly '//'"],
  ["no slash", `postgres:postgres:${PW}@127.0.0.1:5432/db`, "needs exactly '//'"],
  ["no colon", `postgres//postgres:${PW}@127.0.0.1:5432/db`, "missing the ':'"],
  [
    "misspelt scheme",
    `postgress://postgres:${PW}@127.0.0.1:5432/db`,
    "unknown scheme 'postgress:'",
  ],
  ["http", `http://postgres:${PW}@127.0.0.1:5432/db`, "is a web address"],
  ["unencoded #", `postgres://postgres:${PW}#x@127.0.0.1:5432/db`, "'#' as %23"],
  ["unencoded @", `postgres://postgres:${PW}@x@127.0.0.1:5432/db`, "'@' as %40"],
  ["unencoded /", `postgres://postgres:${PW}/x@127.0.0.1:5432/db`, "'/' as %2F"],
];

function expectNoPassword(output: string, password = PW) {
  expect(output).not.toContain(password);
  expect(output).not.toContain(encodeURIComponent(password));
}

describe.each(COMMANDS.map((c) => [c.name, c] as const))("%s", (_name, command) => {
  it.each(MALFORMED)(
    "refuses a connection string with %s, in every output form, without the password",
    async (_what, url, says) => {
      for (const form of [[], ["--json"], ["--quiet"]]) {
        for (const [argv, env] of [
          [[...form], { DATABASE_URL: url }],
          [["--database-url", url, ...form], {}],
        ] as const) {
          const result = await runScript(command, argvOf(command, argv), { env });
          expect(result.code).toBe(2);
          expect(result.stdout + result.stderr).toContain(says);
          expectNoPassword(result.stdout + result.stderr);
          if (form[0] === "--json")
            expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, exitCode: 2 });
        }
      }
    },
  );
});

describe("a well-formed connection string with a wrong password", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase(services().postgres.adminUrl, "cli_redact");
  });
  afterAll(async () => {
    await closePools();
    await db?.drop();
  });

  it.each(COMMANDS.map((c) => [c.name, c] as const))(
    "%s says it could not connect, without the password",
    async (_name, command) => {
      const wrong = new URL(db.url);
      wrong.password = `${PW}#?/@`.replace(/[#?/@]/g, encodeURIComponent);
      for (const form of [[], ["--json"]]) {
        const result = await runScript(command, argvOf(command, form), {
          env: { DATABASE_URL: wrong.toString() },
        });
        expect(result.code).toBe(2);
        expect(result.stdout + result.stderr).toMatch(
          /password authentication failed|could not connect/,
        );
        expectNoPassword(result.stdout + result.stderr, PW);
        expectNoPassword(result.stdout + result.stderr, `${PW}#?/@`);
      }
    },
  );

  it("and the real password never appears in a successful run either", async () => {
    const password = decodeURIComponent(new URL(db.url).password);
    expect(password.length).toBeGreaterThanOrEqual(8);
    for (const command of [dbStatus, dbPerformance, rlsLint, rlsImport]) {
      for (const form of [[], ["--json"], ["--quiet"]]) {
        const result = await runScript(command, argvOf(command, form), {
          env: { DATABASE_URL: db.url },
        });
        expect(result.code).not.toBe(2);
        expectNoPassword(result.stdout + result.stderr, password);
      }
    }
  });
});
