import { describe, expect, it } from "vitest";
import {
  ConnectionStringError,
  describeTarget,
  parseConnectionString,
} from "../../../infra/postgres/connection";
import { describeTarget as clientDescribeTarget, scrub } from "../../../infra/postgres/client";

const PW = "Sup3r-Secret-Pw";

function problem(
  raw: string,
  source?: Parameters<typeof parseConnectionString>[1],
): ConnectionStringError {
  try {
    parseConnectionString(raw, source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectionStringError);
    const e = error as ConnectionStringError;
    expect(e.message).not.toContain(PW);
    return e;
  }
  throw new Error(`accepted: ${raw}`);
}

describe("parseConnectionString accepts", () => {
  it.each([
    [`postgres://admin:${PW}@db.example:6543/app?sslmode=require`, "db.example:6543/app"],
    [`postgresql://admin:${encodeURIComponent("p@ss#/?")}@db.example/app`, "db.example:5432/app"],
    ["postgres://localhost/app", "localhost:5432/app"],
    [`postgres://u:${PW}@h/db?application_name=ops@laptop`, "h:5432/db"],
    [`postgres://u:${PW}@[::1]:5433/db`, "[::1]:5433/db"],
  ])("%s", (raw, target) => {
    const parsed = parseConnectionString(raw);
    expect(parsed.target).toBe(target);
    expect(parsed.connectionString).toBe(raw);
  });
});

describe("parseConnectionString refuses, saying why and how to fix it, without the password", () => {
  it.each([
    [`postgress://u:${PW}@h:5432/db`, "has the unknown scheme 'postgress:'", "postgres://"],
    [`postgres//u:${PW}@h:5432/db`, "is missing the ':' after the scheme", "postgres://"],
    [`postgres:/u:${PW}@h:5432/db`, "needs exactly '//' after 'postgres:'", "postgres://"],
    [`postgres:u:${PW}@h:5432/db`, "needs exactly '//' after 'postgres:'", "postgres://"],
    [`http://u:${PW}@h:5432/db`, "is a web address (http://)", "connection string"],
    [`postgres://u:${PW}#x@h:5432/db`, "the password contains '#' unencoded", "'#' as %23"],
    [`postgres://u:${PW}@x@h:5432/db`, "the password contains an unencoded '@'", "'@' as %40"],
    [`postgres://u:${PW}/x@h:5432/db`, "the password contains '/' unencoded", "'/' as %2F"],
    [`postgres://u:${PW}?x@h:5432/db`, "the password contains '?' unencoded", "'?' as %3F"],
    // A password starting with digits parses as a port, so the URL parser does not fail on these.
    ["postgres://u:5432/x@h:5432/db", "the password contains '/' unencoded", "'/' as %2F"],
    ["postgres://u:1234#x@h:5432/db", "the password contains '#' unencoded", "'#' as %23"],
    [`postgres://u:${PW}@h:5432/db#x`, "'#' unencoded", "'#' as %23"],
    [
      `postgres://u:${PW}%zz@h:5432/db`,
      "'%' in the password that is not followed by two hex digits",
      "'%' as %25",
    ],
    [`postgres://u:${PW}@h:5432/`, "names no database", "<database>"],
    [`postgres://u:${PW}@h:5432`, "names no database", "<database>"],
    [`postgres://:5432/db`, "is not a valid URL", "URL"],
    [`host=h password=${PW} dbname=db`, "key=value (libpq) string", "URL"],
    ["", "is empty", "connection string"],
  ])("%s", (raw, what, fix) => {
    const e = problem(raw, { from: "--database-url" });
    expect(e.problem).toContain(what);
    expect(e.fix).toContain(fix);
    expect(e.message).toMatch(/^the connection string from --database-url /);
  });

  it("names the exact pulumi command when the string belongs to a stack's secret", () => {
    const e = problem(`postgres://u:${PW}#x@h:5432/db`, {
      from: "DATABASE_URL",
      stack: "staging",
      configKey: "databaseUrl",
    });
    expect(e.fix).toContain(
      "pulumi config set --secret databaseUrl 'postgres://<user>:<percent-encoded password>@<host>:5432/<database>' -s staging",
    );
  });
});

describe("describeTarget", () => {
  it("shows host:port/database only, and nothing of a string it cannot read", () => {
    expect(describeTarget(`postgres://u:${PW}@db.example:5432/app`)).toBe("db.example:5432/app");
    for (const bad of [
      `postgres:/postgres:${PW}@h/db`,
      `postgres:postgres:${PW}@h/db`,
      `postgres://u:${PW}#x@h/db`,
    ]) {
      expect(describeTarget(bad)).not.toContain(PW);
      expect(clientDescribeTarget(bad)).not.toContain(PW);
    }
  });
});

describe("scrub", () => {
  it("removes the password of a malformed connection string from a driver message", () => {
    const url = `postgres:/postgres:${PW}@127.0.0.1:5432/db`;
    const message = `getaddrinfo ENOTFOUND base for ${url}; password ${PW}`;
    expect(scrub(message, url)).not.toContain(PW);
  });
});
