/**
 * `runbooks:database`, and how a value of the wrong type reads: what was
 * expected and what was given, never "required but not set" for a key that is
 * set.
 */
import { describe, expect, it } from "vitest";
import { databaseSecrets, featuresSchema, parseDatabase } from "../../../infra/config/index";
import { context, errorOf, withChange } from "./fixtures";

function problemsFor(database: Record<string, unknown>): [string, string][] {
  return errorOf(withChange((r) => (r.database = database))).problems.map((p) => [
    p.key,
    p.message,
  ]);
}

describe("runbooks:database", () => {
  it("fills the documented defaults", () => {
    expect(parseDatabase(undefined, context)).toEqual({
      urlSecretRef: "databaseUrl",
      exposedSchemas: ["public"],
      appRole: "authenticated",
      bypassRlsAllowed: ["service_role"],
      lockTimeoutSeconds: 5,
      lockRetries: 5,
      migrateCommand: "npx prisma migrate deploy",
      migrationsDir: "prisma/migrations",
    });
  });

  it.each([
    [{ lockRetries: 2.5 }, "runbooks:database.lockRetries", "must be a whole number, but is 2.5"],
    [
      { lockTimeoutSeconds: "abc" },
      "runbooks:database.lockTimeoutSeconds",
      "must be a number, but is the string 'abc'",
    ],
    [
      { exposedSchemas: "public" },
      "runbooks:database.exposedSchemas",
      "must be a list, but is the string 'public' (write a list, e.g. [public])",
    ],
    [{ appRole: null }, "runbooks:database.appRole", "must be a string, but is empty (null)"],
    [{ lockRetries: true }, "runbooks:database.lockRetries", "must be a number, but is true"],
  ])("a wrong type %j says what was expected and what was given", (database, key, message) => {
    expect(problemsFor(database)).toEqual([[key, message]]);
  });

  it("reports each wrong type at once, none of them as 'not set'", () => {
    const err = errorOf(
      withChange(
        (r) => (r.database = { lockRetries: 2.5, lockTimeoutSeconds: "abc", exposedSchemas: "x" }),
      ),
    );
    expect(err.problems).toHaveLength(3);
    expect(err.message).not.toContain("not set");
  });

  it("names the bound a number breaks, and the number", () => {
    expect(problemsFor({ lockRetries: 99, lockTimeoutSeconds: 0.01, exposedSchemas: [] })).toEqual([
      ["runbooks:database.exposedSchemas", "needs at least 1 entry, but has 0"],
      ["runbooks:database.lockTimeoutSeconds", "must be at least 0.1, but is 0.01"],
      ["runbooks:database.lockRetries", "must be at most 20, but is 99"],
    ]);
  });

  it("does not quote a credential-looking value given where a number belongs", () => {
    const url = "postgres://app:hunter2-pw@db.example.com:5432/app";
    const err = errorOf(withChange((r) => (r.database = { lockRetries: url })));
    expect(err.problems[0]!.message).toBe("must be a number, but is a string");
    expect(err.message).not.toContain("hunter2");
  });

  it("parseDatabase names the key under the namespace", () => {
    let message = "";
    try {
      parseDatabase({ lockRetries: 2.5 }, context);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(
      "- runbooks:database.lockRetries: must be a whole number, but is 2.5",
    );
  });

  it("needs the connection secret while RLS, backups or rotation is on", () => {
    const database = parseDatabase({ urlSecretRef: "ownerUrl" }, context);
    const features = featuresSchema.parse({});
    expect(databaseSecrets({ features, database }).map((s) => s.key)).toEqual(["ownerUrl"]);
    const off = { ...features, rls: false, backups: false, rotation: false };
    expect(databaseSecrets({ features: off, database })).toEqual([]);
    expect(databaseSecrets({ features: { ...off, backups: true }, database })).toHaveLength(1);
  });
});
