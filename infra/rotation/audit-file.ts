/**
 * The audit log as a local file (the `local` stack): one JSON line per entry,
 * appended under an exclusive lock file so concurrent writers (steps of one
 * provider process, two commands) keep one chain. Mode 0600: the log holds
 * no secret, but it says when credentials changed.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { dirname } from "node:path";
import { nextEntry, type AuditEntry, type AuditFields, type AuditStore } from "./audit";
import { rotationNow } from "./clock";

const LOCK_STALE_MS = 30_000;

export class FileAuditStore implements AuditStore {
  constructor(private readonly path: string) {}

  describe(): string {
    return this.path;
  }

  async lines(): Promise<string[]> {
    if (!existsSync(this.path)) return [];
    return readFileSync(this.path, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "");
  }

  async append(fields: AuditFields): Promise<AuditEntry> {
    mkdirSync(dirname(this.path), { recursive: true });
    const release = await this.lock();
    try {
      const lines = await this.lines();
      const last =
        lines.length > 0 ? (JSON.parse(lines[lines.length - 1]!) as AuditEntry) : undefined;
      const entry = nextEntry(last, fields, rotationNow());
      appendFileSync(this.path, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
      return entry;
    } finally {
      release();
    }
  }

  private async lock(): Promise<() => void> {
    const lockFile = `${this.path}.lock`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        closeSync(openSync(lockFile, "wx", 0o600));
        return () => rmSync(lockFile, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        // A writer killed while holding the lock (a crashed engine) leaves it behind.
        try {
          if (Date.now() - statSync(lockFile).mtimeMs > LOCK_STALE_MS)
            rmSync(lockFile, { force: true });
        } catch {
          // gone already
        }
        if (Date.now() > deadline)
          throw new Error(
            `the audit log ${this.path} stayed locked for 10 s (${lockFile}); remove the lock file if no rotation is running`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}
