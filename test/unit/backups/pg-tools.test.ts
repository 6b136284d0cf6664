/** Connection strings and client programs: validated, and never echoing a password. */
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  findPgBinaries,
  findPgBinariesAsync,
  parseConnection,
  pickPgBinary,
  requirePgBinary,
} from "../../../infra/backups/pg-tools";

const PASSWORD = "s3cr#t/p@ss";

describe("parseConnection", () => {
  it("moves the password out of argv into PGPASSWORD", () => {
    const c = parseConnection(
      `postgres://app:${encodeURIComponent(PASSWORD)}@db.example:6543/main?sslmode=require`,
    );
    expect(c.dbnameArg).toBe("postgres://app@db.example:6543/main?sslmode=require");
    expect(c.env.PGPASSWORD).toBe(PASSWORD);
    expect(c.target).toBe("db.example:6543/main");
    expect(c.secrets).toContain(PASSWORD);
  });

  it("takes a password from the query string off argv too", () => {
    const c = parseConnection(
      `postgres://app@db.example/main?password=${encodeURIComponent(PASSWORD)}`,
    );
    expect(c.dbnameArg).not.toContain("password");
    expect(c.env.PGPASSWORD).toBe(PASSWORD);
  });

  it.each([
    [`postgress://app:${PASSWORD}@h/db`, /must start with postgres:\/\//],
    [`postgres//app:${PASSWORD}@h/db`, /must start with postgres:\/\//],
    [`http://app:${PASSWORD}@h/db`, /must start with postgres:\/\//],
    [`postgres://app:pa#ss@h/db`, /needs a host and a database name|not a valid URL/],
    [`postgres://app:pw@h`, /needs a host and a database name/],
  ])("refuses %s with a fix and without the password", (url, message) => {
    let error: Error | undefined;
    try {
      parseConnection(url);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).toContain("percent-encode");
    expect(error?.message).not.toContain(PASSWORD);
    expect(error?.message).not.toContain("pa#ss");
  });
});

describe("requirePgBinary", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function fakeBin(version: string): string {
    dir = mkdtempSync(join(tmpdir(), "pgbin-"));
    writeFileSync(join(dir, "pg_dump"), `#!/bin/sh\necho "pg_dump (PostgreSQL) ${version}"\n`);
    chmodSync(join(dir, "pg_dump"), 0o755);
    return dir;
  }

  it("names how to install pg_dump when there is none", () => {
    const empty = mkdtempSync(join(tmpdir(), "pgbin-"));
    dir = empty;
    expect(() => requirePgBinary("pg_dump", 16, { PG_BIN: empty, PATH: "" })).toThrow(
      /pg_dump was not found in PG_BIN .*apt-get install -y postgresql-client-16/,
    );
  });

  it("names both versions when pg_dump is older than the server", () => {
    const bin = fakeBin("14.11");
    expect(() => requirePgBinary("pg_dump", 16, { PG_BIN: bin })).toThrow(
      /pg_dump 14 \(.*\) is older than the server, which runs Postgres 16; .*postgresql-client-16/,
    );
    expect(requirePgBinary("pg_dump", 14, { PG_BIN: bin }).major).toBe(14);
  });

  it("asks each distinct program its version once, however many PATH entries lead to it", () => {
    dir = mkdtempSync(join(tmpdir(), "pgbin-"));
    const calls = join(dir, "calls");
    const real = join(dir, "real");
    mkdirSync(real);
    writeFileSync(
      join(real, "pg_dump"),
      `#!/bin/sh\necho x >> ${calls}\necho "pg_dump (PostgreSQL) 15.4"\n`,
    );
    chmodSync(join(real, "pg_dump"), 0o755);
    // /bin -> /usr/bin style: two directories, one file.
    symlinkSync(real, join(dir, "alias"));
    const found = findPgBinaries("pg_dump", { PATH: `${real}:${join(dir, "alias")}:${real}` });
    // (This machine's own /usr/lib/postgresql binaries are found too; only ours count here.)
    expect(found.filter((b) => b.path.startsWith(dir!)).map((b) => b.version)).toEqual([
      "pg_dump (PostgreSQL) 15.4",
    ]);
    expect(readFileSync(calls, "utf8").trim().split("\n")).toHaveLength(1);
  });

  it("finds the same programs without blocking, asking them all at once, and checks them the same way", async () => {
    dir = mkdtempSync(join(tmpdir(), "pgbin-"));
    const env = { PATH: "" } as NodeJS.ProcessEnv;
    for (const [name, version, delay] of [
      ["old", "13.2", 0.6],
      ["new", "16.1", 0.6],
      ["broken", "", 0],
    ] as const) {
      mkdirSync(join(dir, name));
      writeFileSync(
        join(dir, name, "pg_dump"),
        version
          ? `#!/bin/sh\nsleep ${delay}\necho "pg_dump (PostgreSQL) ${version}"\n`
          : "#!/bin/sh\nexit 3\n",
      );
      chmodSync(join(dir, name, "pg_dump"), 0o755);
      env.PATH = `${env.PATH}${env.PATH ? ":" : ""}${join(dir, name)}`;
    }
    const ours = (found: { path: string; version: string }[]) =>
      found.filter((b) => b.path.startsWith(dir!)).map((b) => b.version);
    const t0 = Date.now();
    const found = await findPgBinariesAsync("pg_dump", env);
    // Two programs that each take 0.6 s answered together: one after the other takes 1.2 s or more.
    expect(Date.now() - t0).toBeLessThan(1150);
    expect(ours(found)).toEqual(["pg_dump (PostgreSQL) 16.1", "pg_dump (PostgreSQL) 13.2"]);
    expect(ours(found)).toEqual(ours(findPgBinaries("pg_dump", env)));
    const mine = found.filter((b) => b.path.startsWith(dir!));
    expect(pickPgBinary(mine, "pg_dump", 15, env).major).toBe(16);
    expect(() => pickPgBinary(mine.slice(1), "pg_dump", 15, env)).toThrow(
      /pg_dump 13 .* is older than the server, which runs Postgres 15/,
    );
  });
});
