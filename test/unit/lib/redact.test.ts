import { describe, expect, it } from "vitest";
import { passwordsIn, redactSecrets } from "../../../infra/lib/redact";

const PW = "Sup3r-Secret-Pw";

/** Inputs a driver, a user or a stack file can hand us, each carrying PW somewhere. */
const HOSTILE: [string, string][] = [
  ["a well-formed URL", `postgres://admin:${PW}@db.example:5432/app`],
  ["postgresql scheme", `postgresql://admin:${PW}@db.example/app?sslmode=require`],
  ["one slash after the scheme", `postgres:/postgres:${PW}@127.0.0.1:5432/db`],
  ["no slash after the scheme", `postgres:postgres:${PW}@127.0.0.1:5432/db`],
  ["no colon after the scheme", `postgres//postgres:${PW}@127.0.0.1:5432/db`],
  ["a misspelt scheme", `postgress://u:${PW}@h:5432/db`],
  ["an http URL", `http://u:${PW}@h:5432/db`],
  ["an unencoded '#' in the password", `postgres://u:${PW}#tail@h:5432/db`],
  ["an unencoded '@' in the password", `postgres://u:${PW}@more@h:5432/db`],
  ["an unencoded '/' in the password", `postgres://u:${PW}/x@h:5432/db`],
  ["a password in the query string", `postgres://u@h:5432/db?password=${PW}&sslmode=require`],
  ["an sslpassword in the query string", `postgres://u@h/db?sslmode=verify-full&sslpassword=${PW}`],
  ["a libpq key=value string", `host=h port=5432 user=u password=${PW} dbname=db`],
  ["a quoted libpq password", `host=h password='${PW} with space' dbname=db`],
  ["a JSON dump", `{"user":"u","password":"${PW}","host":"h"}`],
  ["inside an error message", `connect failed for postgres://u:${PW}@h/db: ECONNREFUSED`],
  ["a web URL with basic auth", `https://ops:${PW}@app.example.com/health`],
];

describe("redactSecrets by shape", () => {
  it.each(HOSTILE)("masks the password in %s", (_what, input) => {
    const out = redactSecrets(input);
    expect(out).not.toContain(PW);
    expect(out).toContain("***");
  });

  it("keeps what is not secret readable", () => {
    expect(redactSecrets(`postgres://admin:${PW}@db.example:5432/app`)).toBe(
      "postgres://admin:***@db.example:5432/app",
    );
    expect(redactSecrets(`postgres:/postgres:${PW}@127.0.0.1:5432/db`)).toBe(
      "postgres:/postgres:***@127.0.0.1:5432/db",
    );
    expect(redactSecrets(`host=h password=${PW} dbname=db`)).toBe("host=h password=*** dbname=db");
    const plain = 'pid 123 (app "web", user postgres, from 127.0.0.1) waiting 5 s: select 1';
    expect(redactSecrets(plain)).toBe(plain);
  });

  it("keeps JSON well-formed", () => {
    const doc = JSON.stringify({ a: `postgres://u:${PW}@h/db`, b: "x@y", password: PW });
    const out = redactSecrets(doc);
    expect(out).not.toContain(PW);
    expect(JSON.parse(out)).toEqual({ a: "postgres://u:***@h/db", b: "x@y", password: "***" });
  });
});

describe("redactSecrets by value", () => {
  it("masks known secrets raw, percent-encoded and percent-decoded", () => {
    const secret = "p@ss/w0rd#1";
    const text = `raw ${secret} encoded ${encodeURIComponent(secret)}`;
    expect(redactSecrets(text, [secret])).toBe("raw *** encoded ***");
    expect(redactSecrets("decoded p@ss-w0rd", ["p%40ss-w0rd"])).toBe("decoded ***");
  });

  it.each([
    [`postgres:/postgres:${PW}@127.0.0.1:5432/db`, PW],
    [`postgres:postgres:${PW}@127.0.0.1:5432/db`, PW],
    [`postgres//postgres:${PW}@127.0.0.1:5432/db`, PW],
    [`postgres://u:${PW}#tail@h:5432/db`, `${PW}#tail`],
    [`postgres://u:${PW}@more@h:5432/db`, `${PW}@more`],
    [`postgres://u:${PW}/x@h:5432/db`, `${PW}/x`],
    [`postgres://u@h:5432/db?password=${PW}&sslmode=require`, PW],
    [`host=h port=5432 user=u password='${PW} x' dbname=db`, `${PW} x`],
  ])("masks the password of %s wherever it appears alone", (input, password) => {
    const echoed = `the server said: password "${password}" (${encodeURIComponent(password)}) is wrong`;
    const out = redactSecrets(echoed, [input]);
    expect(out).not.toContain(password);
    expect(out).not.toContain(encodeURIComponent(password));
  });

  it("ignores values too short to mask safely", () => {
    expect(redactSecrets("a pg b", ["pg"])).toBe("a pg b");
  });
});

describe("passwordsIn", () => {
  it("finds the password however the string is broken", () => {
    expect(passwordsIn(`postgres:/postgres:${PW}@h/db`)).toContain(PW);
    expect(passwordsIn(`postgres://u:${PW}#x@h/db`)).toContain(`${PW}#x`);
    expect(passwordsIn(`host=h password='${PW}'`)).toContain(PW);
    expect(passwordsIn(`postgres://u@h/db?password=${PW}`)).toContain(PW);
  });
});
