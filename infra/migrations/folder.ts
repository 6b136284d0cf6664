/**
 * The app's migrations folder as Prisma lays it out: one directory per
 * migration (`20260101120000_add_orders/migration.sql`), applied in name
 * order, beside `migration_lock.toml`.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

export interface FolderMigration {
  name: string;
  /** SHA-256 (hex) of migration.sql as it is on disk: what Prisma records as the checksum. */
  checksum: string;
  /** The same with CRLF line ends made LF, so a checkout on Windows is not "edited". */
  checksumLf: string;
}

/** The folder is missing or is not a Prisma migrations folder. */
export class MigrationsFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationsFolderError";
  }
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

export function readMigrationsFolder(dir: string): FolderMigration[] {
  const path = resolve(dir);
  if (!existsSync(path) || !statSync(path).isDirectory())
    throw new MigrationsFolderError(
      `no migrations folder at ${dir}: pass the app's Prisma migrations directory (usually prisma/migrations)`,
    );
  const names = readdirSync(path, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const migrations: FolderMigration[] = [];
  for (const name of names) {
    const file = join(path, name, "migration.sql");
    if (!existsSync(file)) continue;
    const bytes = readFileSync(file);
    migrations.push({
      name,
      checksum: sha256(bytes),
      checksumLf: sha256(bytes.toString("utf8").replace(/\r\n/g, "\n")),
    });
  }
  if (migrations.length === 0 && !existsSync(join(path, "migration_lock.toml")))
    throw new MigrationsFolderError(
      `${dir} holds no <name>/migration.sql directories and no migration_lock.toml: it is not a Prisma migrations folder`,
    );
  return migrations;
}
