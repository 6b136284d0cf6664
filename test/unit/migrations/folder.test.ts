import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MigrationsFolderError, readMigrationsFolder } from "../../../infra/migrations/folder";
import { writeMigrationsFolder } from "../../support/prisma-migrations";

const tmp = () => mkdtempSync(join(tmpdir(), "runbooks-migrations-"));

describe("readMigrationsFolder", () => {
  it("lists <name>/migration.sql in name order with the SHA-256 Prisma records", () => {
    const dir = tmp();
    writeMigrationsFolder(dir, {
      "20260102000000_b": "create table b();\n",
      "20260101000000_a": "create table a();\n",
    });
    mkdirSync(join(dir, "not_a_migration"));
    const found = readMigrationsFolder(dir);
    expect(found.map((m) => m.name)).toEqual(["20260101000000_a", "20260102000000_b"]);
    expect(found[0]!.checksum).toBe(
      createHash("sha256").update("create table a();\n").digest("hex"),
    );
  });

  it("also computes the checksum with LF line ends", () => {
    const dir = tmp();
    writeMigrationsFolder(dir, { "1_a": "create table a();\r\n" });
    const [m] = readMigrationsFolder(dir);
    expect(m!.checksum).not.toBe(m!.checksumLf);
    expect(m!.checksumLf).toBe(createHash("sha256").update("create table a();\n").digest("hex"));
  });

  it("refuses a missing folder and one that is not a Prisma migrations folder", () => {
    expect(() => readMigrationsFolder(join(tmp(), "nope"))).toThrow(MigrationsFolderError);
    expect(() => readMigrationsFolder(join(tmp(), "nope"))).toThrow(/usually prisma\/migrations/);
    const empty = tmp();
    writeFileSync(join(empty, "README"), "x");
    expect(() => readMigrationsFolder(empty)).toThrow(/not a Prisma migrations folder/);
  });
});
